export * from './worker';
export * from './activities';
export * from './archiver';
export * from './bundle-path';
export * from './replay.activities';
export * from './autonomy';
export * from './guardian.activities';
export * from './singletons';
