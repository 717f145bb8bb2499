/** A progress handle for one long loop. Implementations: a terminal bar (pretty) or periodic JSON lines (json). */
export interface Progress {
  /** Advance by `n` (default 1); `fields` show next to the bar (e.g. `{ loss: 0.31 }`). */
  tick(n?: number, fields?: Record<string, string | number>): void;
  /** Change the total when it was not known up front. */
  setTotal(total: number): void;
  stop(): void;
}

export type ProgressFactory = (label: string, total: number, unit?: string) => Progress;
