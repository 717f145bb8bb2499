import { augmentPreviewCommand } from './augment-preview.js';
import { collectCommand } from './collect.js';
import { fetchExampleCommand } from './fetch-example.js';
import { graphCommand } from './graph.js';
import { modelsCommand } from './models.js';
import { runCommand } from './run.js';
import { runsCommand } from './runs.js';
import { runsTrackingCommand } from './runs-tracking.js';
import { serveCommand } from './serve.js';
import { stagesCommand } from './stages.js';
import type { CommandModule } from './types.js';

/** Every `pipeline` command, in help order. Add a module (e.g. `./serve.js`) with one import and one entry. */
export const commandModules: readonly CommandModule[] = [
  runCommand,
  stagesCommand,
  graphCommand,
  runsCommand,
  runsTrackingCommand,
  modelsCommand,
  serveCommand,
  augmentPreviewCommand,
  collectCommand,
  fetchExampleCommand,
];

export type { CliContext, CommandModule } from './types.js';
