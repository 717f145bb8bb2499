/**
 * README parts generated from code, between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`.
 * `pnpm gen` rewrites them; tests fail when they drift.
 */
export function readSection(text: string, name: string): string | undefined {
  const match = new RegExp(`<!-- generated:${name} -->\\n([\\s\\S]*?)<!-- /generated:${name} -->`).exec(text);
  return match?.[1];
}

export function replaceSection(text: string, name: string, content: string): string {
  if (readSection(text, name) === undefined)
    throw new Error(`README has no <!-- generated:${name} --> section`);
  return text.replace(
    new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`),
    (_m, open: string, close: string) => `${open}${content}${close}`,
  );
}

export const configSchemaPath = 'configs/config.schema.json';
/** Generated references, linked from the README. */
export const configReferencePath = 'docs/config-reference.md';
export const cliReferencePath = 'docs/cli-reference.md';
