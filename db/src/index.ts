export * from './pool';
export * from './migrate';
export * from './events';
export * from './audit.repository';
export * from './approvals.repository';
export * from './archive.repository';
export * from './settings.repository';
export * from './archive-queue.repository';
