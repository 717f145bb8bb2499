import pkg from '../package.json' with { type: 'json' };

/** Who wrote a bundle; recorded in manifest.json so a reader can tell old writers apart. */
export const PRODUCER = { name: pkg.name, version: pkg.version } as const;
