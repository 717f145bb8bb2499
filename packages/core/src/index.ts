export * from './atomic.js';
export * from './config/schema.js';
export * from './errors.js';
export * from './hash.js';
export * from './logger.js';
export * from './progress.js';
export * from './stage.js';
export * from './tracker.js';
