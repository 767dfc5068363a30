export const REPLAY_WORKFLOW = 'replayAuditWorkflow';

export interface ReplayInput {
  /** The archived workflow whose history is re-run against the current workflow code. */
  readonly workflowId: string;
  /** One run of a workflow ID that has run more than once; the latest run when absent. */
  readonly runId?: string;
}

export interface ReplayResult {
  readonly found: boolean;
  /** True when the current code makes exactly the decisions the history records. */
  readonly reproduced: boolean;
  readonly runId?: string;
  readonly events?: number;
  readonly detail?: string;
}
