export * from './policy-source';
export * from './change-guard';
export * from './policy.activities';
