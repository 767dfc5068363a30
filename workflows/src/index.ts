// The workflow bundle's entry: every exported function here is a workflow type.
export { vmActionWorkflow } from './vm-action.workflow';
export { replayAuditWorkflow } from './replay.workflow';
