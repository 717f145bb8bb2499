export * from './hamming.js';
export * from './hash-index.js';
export * from './rule.js';
