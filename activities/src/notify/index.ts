export * from './escalation';
export * from './notify.activities';
