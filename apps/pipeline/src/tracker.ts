import type { ClosableTracker, Logger, PlantidConfig } from '@plantid/core';
import { createTracker } from '@plantid/tracking';

/**
 * The one place the CLI turns `config.tracking` into the tracker stages log to: the local
 * store always, MLflow too when `tracking.uri` is http(s) (buffered locally while it is down).
 */
export function trackerOpener(
  config: PlantidConfig,
  context: { configDir: string; log: Logger },
): (runId: string) => Promise<ClosableTracker> {
  return (runId) =>
    createTracker(config.tracking, { configDir: context.configDir, runId, runName: runId, log: context.log });
}
