// What clients (the API, tests, the bench) need: message definitions and types, no workflow code.
export * from './approval-gate.messages';
export * from './vm-action.messages';
export * from './replay.messages';
export * from './timeline';
export * from './guardian.messages';
export * from './monitor.messages';
export * from './remediation.messages';
export type { GuardianActivities } from './guardian.activities';
export * from './chat-turn.messages';
export * from './workflow-title';
export * from './guardian.ledger';
export * from './tool-dispatch';
