export * from './worker';
export * from './activities';
export * from './archiver';
export * from './bundle-path';
export * from './replay.activities';
