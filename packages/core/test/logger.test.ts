import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { colorWanted, createLogger } from '../src/index.js';

describe('logger colours', () => {
  it('colours a terminal only, honouring NO_COLOR, FORCE_COLOR and TERM=dumb', () => {
    expect(colorWanted(true, {})).toBe(true);
    expect(colorWanted(false, {})).toBe(false);
    // A CI runner's environment does not make a file or a pipe a terminal.
    expect(colorWanted(false, { CI: 'true' })).toBe(false);
    expect(colorWanted(true, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted(true, { TERM: 'dumb' })).toBe(false);
    expect(colorWanted(false, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorWanted(true, { FORCE_COLOR: '0' })).toBe(false);
  });

  it('writes plain lines to a given sink unless asked for colour, and children keep the choice', () => {
    const plain: string[] = [];
    const log = createLogger({ write: (l) => plain.push(l) });
    log.child({ stage: 'fit' }).warn('loss went up');
    expect(plain).toEqual(['[fit] loss went up']);

    const coloured: string[] = [];
    createLogger({ write: (l) => coloured.push(l), color: true })
      .child({ stage: 'fit' })
      .warn('loss went up');
    expect(coloured[0]).not.toBe(stripVTControlCharacters(coloured[0] ?? ''));
    expect(stripVTControlCharacters(coloured[0] ?? '')).toBe('[fit] loss went up');
  });
});
