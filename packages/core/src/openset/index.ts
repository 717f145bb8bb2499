export * from './scorer.js';
export * from './scores.js';
export * from './status.js';
