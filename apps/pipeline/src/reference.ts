import type { Command } from 'commander';
import { buildProgram } from './main.js';
import { stageRegistry } from './stages.js';

/** `--help` of every command as Markdown, for the README CLI reference. */
export function cliReferenceMarkdown(): string {
  const program = buildProgram({
    stages: stageRegistry,
    stdout: () => {},
    stderr: () => {},
    signal: new AbortController().signal,
    stderrIsTTY: false,
    stderrColor: false,
    exitCode: 0,
  });
  const sections: string[] = [];
  const visit = (command: Command, path: string[]) => {
    const name = [...path, command.name()].join(' ');
    sections.push(`### \`${name}\`\n\n\`\`\`text\n${command.helpInformation().trimEnd()}\n\`\`\``);
    for (const sub of command.commands) if (sub.name() !== 'help') visit(sub, [...path, command.name()]);
  };
  visit(program, []);
  return `${sections.join('\n\n')}\n`;
}
