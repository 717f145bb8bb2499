export * from './charts.js';
export * from './cpus.js';
export * from './float16.js';
export * from './images.js';
export * from './pool.js';
export * from './random.js';
export * from './retry.js';
export * from './temperature.js';
