import { join } from 'node:path';
import { z } from 'zod';
import { appendJsonLine } from '../atomic.js';
import { expectation, fieldPath } from './contract-error.js';

/**
 * The feedback store's contract: serving appends to it (`@plantid/serve-api`'s FeedbackStore),
 * the dataset stage reads it as a data source (`data.sources[].feedback`). Append-only:
 * `feedback.jsonl` plus content-addressed photos `images/<sha[0:2]>/<sha>.<ext>`.
 */
export const FEEDBACK_FILE = 'feedback.jsonl';
export const FEEDBACK_IMAGES = 'images';

export const feedbackLocationSchema = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  accuracyMeters: z.number().nonnegative().optional(),
});

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest');

/** One line of feedback.jsonl. */
export const feedbackRecordSchema = z.object({
  id: z.string().min(1),
  time: z.string(),
  predictionId: z.string(),
  model: z.object({ name: z.string(), version: z.string() }),
  predicted: z.object({ label: z.string(), confidence: z.number() }),
  /** The label the user says is right (a label id of the model that predicted). */
  label: z.string().min(1, 'expected a label id'),
  correct: z.boolean(),
  consent: z.boolean(),
  /** Path of the stored photo relative to the store, only with consent; EXIF/GPS stripped. */
  image: z.string().min(1).nullable(),
  /** sha256 of the stored (stripped) photo, the id a dataset manifest gives it; null without consent. */
  imageSha256: sha256Hex.nullable(),
  /** Only when the client sent it explicitly; never read from the photo. */
  location: feedbackLocationSchema.nullable(),
});

export type FeedbackLocation = z.infer<typeof feedbackLocationSchema>;
export type FeedbackRecord = z.infer<typeof feedbackRecordSchema>;

/** Appends one record to `<storeDir>/feedback.jsonl` (validated first: a bad record is a bug, never stored). */
export async function appendFeedbackRecord(storeDir: string, record: FeedbackRecord): Promise<void> {
  await appendJsonLine(join(storeDir, FEEDBACK_FILE), feedbackRecordSchema.parse(record));
}

/**
 * Parses one line of feedback.jsonl. A store is append-only and written by servers that may die
 * mid-line, so a bad line is reported (`problem`), not fatal: the reader skips it and says where.
 */
export function parseFeedbackLine(line: string): { record: FeedbackRecord } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'not valid JSON' };
  }
  const parsed = feedbackRecordSchema.safeParse(value);
  if (parsed.success) return { record: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { problem: `${fieldPath(issue.path)}: ${expectation(issue)}` };
}
