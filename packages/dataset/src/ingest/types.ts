import type { FeedbackOrigin, Split } from '@plantid/core';

/** One image file to analyse, before its bytes are read. */
export interface Candidate {
  source: string;
  license: string | null;
  /** Absolute root of its source. */
  root: string;
  /** Absolute path. */
  file: string;
  /** Relative to `root`, `/`-separated. */
  path: string;
  label: string;
  /** Split fixed by a manifest's split column, else null. */
  fixedSplit: Split | null;
  /** Set when the photo came from a feedback store. */
  feedback?: FeedbackOrigin;
}

/** Something the user should hear about; the rest of the data is still processed. */
export interface Notice {
  where: string;
  message: string;
}
