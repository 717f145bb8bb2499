import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FEEDBACK_FILE, type FeedbackOrigin, parseFeedbackLine, type SourceSpec } from '@plantid/core';
import { slugIds } from '../slug.js';
import { fileInsideRoot } from './listFile.js';
import type { Candidate, Notice } from './types.js';

/**
 * Lists a serving feedback store: the photos users gave with consent, each under the label id
 * they chose (turned into a class name by `resolveFeedbackLabels`). A later record for the same
 * photo replaces an earlier one: the user corrected themselves. The store is only read.
 */
export async function listFeedbackSource(source: SourceSpec, notices: Notice[]): Promise<Candidate[]> {
  const list = join(source.root, FEEDBACK_FILE);
  const text = await readFile(list, 'utf8').catch(() => null);
  if (text === null) {
    notices.push({ where: list, message: 'no feedback yet (the file does not exist); nothing added' });
    return [];
  }
  const byImage = new Map<string, Candidate>();
  let withoutPhoto = 0;
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    if (!raw.trim()) continue;
    const where = `${list}:${i + 1}`;
    const parsed = parseFeedbackLine(raw);
    if ('problem' in parsed) {
      // The last line may be cut short by a server that died while appending.
      notices.push({ where, message: `${parsed.problem}; skipped` });
      continue;
    }
    const line = parsed.record;
    if (!line.consent || line.image === null) {
      withoutPhoto++;
      continue;
    }
    const found = await fileInsideRoot(source.root, line.image, where, notices);
    if (!found) continue;
    byImage.delete(found.file); // keep the latest record in file order
    byImage.set(found.file, {
      source: source.name,
      license: source.license,
      root: source.root,
      ...found,
      label: line.label,
      fixedSplit: null,
      feedback: origin(line),
    });
  }
  if (withoutPhoto > 0)
    notices.push({
      where: list,
      message: `${withoutPhoto} feedback record(s) without a consented photo; nothing to learn from them`,
    });
  return [...byImage.values()];
}

function origin(record: FeedbackOrigin): FeedbackOrigin {
  const { id, time, predictionId, model, predicted, correct } = record;
  return { id, time, predictionId, model, predicted, correct };
}

/**
 * Feedback names a class by the label id the model answered with (labels.json `id`); the
 * dataset's classes are names. Ids are slugs of the other sources' class names, so each
 * feedback photo joins the class whose id it names; one naming no class is reported and left out.
 */
export function resolveFeedbackLabels(candidates: Candidate[], notices: Notice[]): Candidate[] {
  const names = new Set(candidates.filter((c) => !c.feedback).map((c) => c.label));
  const nameById = new Map([...slugIds(names)].map(([name, id]) => [id, name]));
  const unknown = new Map<string, { root: string; count: number }>();
  const kept = candidates.flatMap((c) => {
    if (!c.feedback) return [c];
    const name = nameById.get(c.label) ?? (names.has(c.label) ? c.label : undefined);
    if (name !== undefined) return [{ ...c, label: name }];
    const seen = unknown.get(c.label) ?? { root: c.root, count: 0 };
    unknown.set(c.label, { ...seen, count: seen.count + 1 });
    return [];
  });
  for (const [label, { root, count }] of unknown)
    notices.push({
      where: join(root, FEEDBACK_FILE),
      message: `${count} feedback photo(s) labelled "${label}", which is no class of the other sources; left out`,
    });
  return kept;
}
