import { isPlantidError } from '@plantid/core';
import { Command, CommanderError } from 'commander';
import { commandModules } from './commands/index.js';
import type { CliContext } from './commands/types.js';

export type { CliContext } from './commands/types.js';

/**
 * Runs the `pipeline` CLI on `argv` (without node and script) and returns the exit code:
 * 0 done, 1 the work failed, 2 bad usage or config. Errors are printed as one line.
 */
export async function main(argv: readonly string[], ctx: Omit<CliContext, 'exitCode'>): Promise<number> {
  const state: CliContext = { ...ctx, exitCode: 0 };
  const program = buildProgram(state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return 0;
      // commander already printed its one-line message ("error: unknown option ...").
      return 2;
    }
    if (isPlantidError(error)) {
      state.stderr(`error: ${error.toLine()}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    state.stderr(`error: ${message.split('\n')[0]}\n`);
    if (process.env.PLANTID_DEBUG && error instanceof Error) state.stderr(`${error.stack}\n`);
    return 1;
  }
}

/** The commander program with every command module registered (also used to generate the README CLI reference). */
export function buildProgram(state: CliContext): Command {
  const program = new Command('pipeline')
    .description('plantid: train, evaluate and export a plant image classifier from one config.yaml')
    .showSuggestionAfterError(true)
    .configureHelp({ helpWidth: 100 });
  for (const module of commandModules) module.register(program, state);
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) {
    command.exitOverride().configureOutput({
      writeOut: (text) => state.stdout(text),
      writeErr: (text) => state.stderr(text),
    });
  }
  return program;
}
