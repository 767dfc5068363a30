import { Context } from '@temporalio/activity';
import {
  type ApprovalView,
  type ApprovalsRepository,
  type ArchiveQueueRepository,
  type AuditRepository,
} from '@jarvis/db';

/** One domain step of a workflow, as the timeline and the audit log show it. */
export interface WorkflowStep {
  /** Deterministic within the workflow (e.g. `step-3`): the idempotency key of the audit row. */
  readonly key: string;
  readonly kind: string;
  readonly title: string;
  readonly at: string;
  readonly by?: string;
  readonly node?: string;
  readonly vmid?: number;
  readonly detail?: Record<string, unknown>;
}

/** What the archiver needs to file a closed run; the history itself it reads from Temporal. */
export interface ArchiveRequest {
  readonly kind: string;
  readonly summary: Record<string, unknown>;
}

export interface DbActivityDeps {
  readonly audit: AuditRepository;
  readonly approvals: ApprovalsRepository;
  readonly archiveQueue: ArchiveQueueRepository;
}

function currentWorkflow(): { workflowId: string; runId: string } {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw new Error('projection activities run only inside a workflow');
  return execution;
}

/**
 * Projection writes. Each is idempotent, keyed by the workflow ID plus a key the workflow
 * chose deterministically, so a retried or replayed activity never writes twice.
 */
export function createDbActivities({ audit, approvals, archiveQueue }: DbActivityDeps) {
  return {
    /**
     * Records the steps a workflow took since its last write, in one transaction, and returns
     * them unchanged so the history's record of this activity carries them for the timeline.
     * With `archive`, it is the workflow's last write: the run also joins the archive queue.
     */
    async recordSteps(input: { steps: readonly WorkflowStep[]; archive?: ArchiveRequest }): Promise<WorkflowStep[]> {
      const { workflowId, runId } = currentWorkflow();
      await audit.recordMany(
        input.steps.map((step) => ({
          workflowId,
          activityId: step.key,
          kind: step.kind,
          title: step.title,
          at: step.at,
          ...(step.by ? { actor: step.by } : {}),
          ...(step.node ? { node: step.node } : {}),
          ...(step.vmid !== undefined ? { vmid: step.vmid } : {}),
          ...(step.detail ? { detail: step.detail } : {}),
        })),
      );
      if (input.archive) await archiveQueue.enqueue({ workflowId, runId, ...input.archive });
      return [...input.steps];
    },

    async upsertApproval(view: ApprovalView): Promise<void> {
      await approvals.upsert(view);
    },
  };
}

export type DbActivities = ReturnType<typeof createDbActivities>;
