// The workflow bundle's entry: every exported function here is a workflow type.
export { vmActionWorkflow } from './vm-action.workflow';
export { replayAuditWorkflow } from './replay.workflow';
export { monitorWorkflow } from './monitor.workflow';
export { guardianWorkflow } from './guardian.workflow';
export { remediationWorkflow } from './remediation.workflow';
export { chatTurnWorkflow } from './chat-turn.workflow';
