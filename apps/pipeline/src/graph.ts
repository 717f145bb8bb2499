import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { orderStages, type StageDefinition } from '@plantid/core';

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The stage graph in Graphviz DOT: one box per stage (its config sections and main outputs), edges from `needs`. */
export function stagesToDot(stages: readonly StageDefinition[]): string {
  const lines = [
    'digraph plantid {',
    '  rankdir=LR;',
    '  node [shape=box, style="rounded,filled", fillcolor="#eef6ee", color="#2f6f3e", fontname="Helvetica", fontsize=11];',
    '  edge [color="#555555"];',
    '  config [label="config.yaml", shape=note, fillcolor="#fff8e0", color="#a08020"];',
  ];
  for (const stage of orderStages(stages)) {
    const label = `${stage.name}\\n[${stage.configKeys.join(', ')}]\\n${stage.outputs.join('\\n')}`;
    lines.push(`  ${quote(stage.name)} [label="${label.replace(/"/g, '\\"')}"];`);
  }
  for (const stage of orderStages(stages)) {
    if (stage.needs.length === 0) lines.push(`  config -> ${quote(stage.name)} [style=dashed];`);
    for (const need of stage.needs) lines.push(`  ${quote(need)} -> ${quote(stage.name)};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Renders DOT to SVG with Graphviz compiled to wasm: no system binary needed. */
export async function dotToSvg(dot: string): Promise<string> {
  const graphviz = await Graphviz.load();
  return graphviz.dot(dot, 'svg');
}
