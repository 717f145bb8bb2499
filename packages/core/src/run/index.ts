export * from './code-hash.js';
export * from './environment.js';
export * from './layout.js';
export * from './plan.js';
export * from './reuse.js';
export * from './runner.js';
export * from './table.js';
