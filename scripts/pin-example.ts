// Writes configs/example.pins.tsv: every file of the example (the leaf dataset and the backbone) with
// its size and sha256, computed from ../shared (or PLANTID_SHARED). Run after the example's sources
// change: pnpm tsx --conditions=@plantid/source scripts/pin-example.ts

import { EXAMPLE_PINS, sharedDir } from '../apps/pipeline/src/example/locations.js';
import { formatPins } from '../apps/pipeline/src/example/pins.js';
import { pinsFromCopy } from '../apps/pipeline/src/example/pins-from-copy.js';
import { exampleSources } from '../apps/pipeline/src/example/sources.js';
import { writeFileAtomic } from '../packages/core/src/index.js';

const pins = await pinsFromCopy(sharedDir(), exampleSources);
await writeFileAtomic(EXAMPLE_PINS, formatPins(pins));
console.log(`wrote ${EXAMPLE_PINS}: ${pins.length} files from ${sharedDir()}`);
