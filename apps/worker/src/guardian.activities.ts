import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import {
  checkGateUpdate,
  GUARDIAN_WORKFLOW,
  REMEDIATION_WORKFLOW,
  reportOutcomeUpdate,
  requestPermitUpdate,
  type GuardianActivities,
  type GuardianInput,
  type RemediationInput,
} from '@jarvis/workflows/api';

export interface GuardianActivityDeps {
  readonly client?: Client;
  readonly taskQueue?: string;
  /** The guardian's start input, for when a remediation finds it not running (first boot, terminated by hand). */
  readonly guardianInput?: () => Promise<GuardianInput>;
}

const isNotFound = (err: unknown): boolean =>
  err instanceof Error && (err.name === 'WorkflowNotFoundError' || /not found/i.test(err.message));

/**
 * The remediation's line to the guardian, through the Temporal client: a workflow cannot update
 * another workflow, so these activities do. Update IDs are deterministic, so a retried activity
 * is the same update, answered once.
 */
export function createGuardianActivities({
  client,
  taskQueue,
  guardianInput,
}: GuardianActivityDeps): GuardianActivities {
  const need = (): Client => {
    if (!client) throw new Error('the guardian activities need a Temporal client');
    return client;
  };
  const ensureGuardian = async (guardianId: string): Promise<void> => {
    if (!guardianInput || !taskQueue) return;
    await need()
      .workflow.start(GUARDIAN_WORKFLOW, {
        workflowId: guardianId,
        taskQueue,
        args: [await guardianInput()],
        workflowIdConflictPolicy: 'USE_EXISTING',
      })
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      });
  };
  async function update<T>(guardianId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await ensureGuardian(guardianId);
      return call();
    }
  }

  return {
    requestPermit: ({ guardianId, request }) =>
      update(guardianId, () =>
        need()
          .workflow.getHandle(guardianId)
          .executeUpdate(requestPermitUpdate, { args: [request], updateId: request.requestId }),
      ),
    reportOutcome: ({ guardianId, updateId, report }) =>
      update(guardianId, () =>
        need()
          .workflow.getHandle(guardianId)
          .executeUpdate(reportOutcomeUpdate, { args: [report], updateId }),
      ),
    checkGate: ({ guardianId, updateId, request }) =>
      update(guardianId, () =>
        need()
          .workflow.getHandle(guardianId)
          .executeUpdate(checkGateUpdate, { args: [request], updateId }),
      ),
    async startRemediation({ remediation }: { remediation: RemediationInput }) {
      try {
        const handle = await need().workflow.start(REMEDIATION_WORKFLOW, {
          workflowId: remediation.incident.key,
          taskQueue: taskQueue ?? 'jarvis',
          args: [remediation],
          // One remediation per incident key at a time; a closed one may be followed by a new one.
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        });
        return { started: true, runId: handle.firstExecutionRunId };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
        throw err;
      }
    },
  };
}
