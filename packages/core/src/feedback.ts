/**
 * The feedback store's contract: serving appends to it (`@plantid/serve-api`'s FeedbackStore),
 * the dataset stage reads it as a data source (`data.sources[].feedback`). Append-only:
 * `feedback.jsonl` plus content-addressed photos `images/<sha[0:2]>/<sha>.<ext>`.
 */
export interface FeedbackLocation {
  latitude: number;
  longitude: number;
  accuracyMeters?: number;
}

/** One line of feedback.jsonl. */
export interface FeedbackRecord {
  id: string;
  time: string;
  predictionId: string;
  model: { name: string; version: string };
  predicted: { label: string; confidence: number };
  /** The label the user says is right (a label id of the model that predicted). */
  label: string;
  correct: boolean;
  consent: boolean;
  /** Path of the stored photo relative to the store, only with consent; EXIF/GPS stripped. */
  image: string | null;
  /** sha256 of the stored (stripped) photo, the id a dataset manifest gives it; null without consent. */
  imageSha256: string | null;
  /** Only when the client sent it explicitly; never read from the photo. */
  location: FeedbackLocation | null;
}

export const FEEDBACK_FILE = 'feedback.jsonl';
export const FEEDBACK_IMAGES = 'images';
