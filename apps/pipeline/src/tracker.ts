import { type Logger, noopTracker, type PlantidConfig, type Tracker } from '@plantid/core';

/**
 * The one place the CLI turns `config.tracking` into the Tracker stages log to.
 * Until @plantid/tracking exports its factory this is the no-op tracker.
 */
export async function buildTracker(
  _config: PlantidConfig,
  _context: { configDir: string; runId?: string; log: Logger },
): Promise<Tracker & { close?(): Promise<void> }> {
  return noopTracker;
}
