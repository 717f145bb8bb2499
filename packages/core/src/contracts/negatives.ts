import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic.js';
import { ContractError, parseContract } from './contract-error.js';

/**
 * `negatives.jsonl` (dataset → evaluate): the photos of `data.negatives`, which are none of the
 * classes. They never get a class split; their own `split` says whether evaluate fits the open-set
 * threshold on them (`val`) or only reports on them (`test`). Groups (sub-folders, e.g. species)
 * stay whole on one side, so the reported figure is on kinds of photos the fit never saw.
 */
export const NEGATIVES_FILE = 'negatives.jsonl';

export const negativeRecordSchema = z.object({
  /** sha256 of the file bytes. */
  id: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest'),
  /** Path relative to its negatives folder, `/`-separated. */
  path: z.string().min(1),
  /** Absolute path of the file when the stage ran. */
  file: z.string().min(1),
  /** The `data.negatives` folder it came from (its folder name). */
  source: z.string().min(1),
  /** `<source>/<first sub-folder>` (or `<source>` for photos directly in it): kept whole in one split. */
  group: z.string().min(1),
  split: z.enum(['val', 'test']),
  bytes: z.number().int().nonnegative(),
});
export type NegativeRecord = z.infer<typeof negativeRecordSchema>;

const HINT = 'run the dataset stage again (pipeline run --from dataset)';

/** Reads negatives.jsonl; a dataset output written before negatives existed has none (empty list). */
export async function readNegatives(path: string, hint = HINT): Promise<NegativeRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ContractError(path, '(file)', 'expected a readable file', { hint, cause });
  }
  const records: NegativeRecord[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new ContractError(path, `line ${i + 1}`, 'expected a JSON object', { hint, cause });
    }
    records.push(parseContract(negativeRecordSchema, value, path, { hint, fieldPrefix: `line ${i + 1}: ` }));
  }
  return records;
}

export async function writeNegatives(path: string, records: readonly NegativeRecord[]): Promise<void> {
  const lines = records.map((r) => JSON.stringify(negativeRecordSchema.parse(r)));
  await writeFileAtomic(path, lines.length ? `${lines.join('\n')}\n` : '');
}
