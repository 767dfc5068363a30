export * from './cluster-view';
export * from './remediation.activities';
