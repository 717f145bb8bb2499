/** `mobilenet_v2_0.35` → `mobilenetv2-0.35`: the family joined to its version, other parts dashed. */
export function backboneSlug(backbone: string): string {
  return backbone
    .toLowerCase()
    .replace(/[_-]+(v\d)/g, '$1')
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** `1e-3` style: shortest exponent form. */
export function lrSlug(lr: number): string {
  const [mantissa, exp] = lr.toExponential().split('e');
  return `${Number(mantissa)}e${Number(exp)}`;
}

/** Descriptive artefact name, e.g. `plant_mobilenetv2-0.35_bs64_lr1e-3_e23` (+ `_ft2x5` when fine-tuned). */
export function artefactName(parts: {
  model: string;
  backbone: string;
  batchSize: number;
  lr: number;
  epochs: number;
  finetune?: { blocks: number; epochs: number };
}): string {
  const base = `${parts.model}_${backboneSlug(parts.backbone)}_bs${parts.batchSize}_lr${lrSlug(parts.lr)}_e${parts.epochs}`;
  return parts.finetune && parts.finetune.epochs > 0
    ? `${base}_ft${parts.finetune.blocks}x${parts.finetune.epochs}`
    : base;
}
