import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { type TaskVisibility } from '@jarvis/db';
import {
  checkGateUpdate,
  GUARDIAN_WORKFLOW,
  REMEDIATION_WORKFLOW,
  reportOutcomeUpdate,
  reportRecoveryUpdate,
  requestPermitUpdate,
  type GuardianActivities,
  type GuardianInput,
  type PermitDecision,
  type PermitRequest,
  type RemediationInput,
} from '@jarvis/workflows/api';

export interface GuardianActivityDeps {
  readonly client?: Client;
  readonly taskQueue?: string;
  /** The guardian's start input, for when a remediation finds it not running (first boot, terminated by hand). */
  readonly guardianInput?: () => Promise<GuardianInput>;
  /**
   * Whether Jarvis sees other users' Proxmox tasks. Without that, a stop made in Proxmox's UI
   * looks like a crash, so the crashed-VM runbook may not restart on its standing approval.
   */
  readonly taskVisibility?: () => Promise<TaskVisibility>;
}

/**
 * The crashed-VM runbook acts on its own (L3/L4) only when Jarvis can see every stop an operator
 * makes: a guardian `allow` that no operator approved becomes an L2 `ask` when the token lacks
 * Sys.Audit. Decided here, where the worker knows the token, so no workflow changes.
 */
export function capCrashAutonomy(
  request: PermitRequest,
  decision: PermitDecision,
  visibility: TaskVisibility,
): PermitDecision | undefined {
  if (visibility.othersVisible || request.incident.class !== 'vm-crashed') return undefined;
  if (decision.kind !== 'allow' || request.approvedBy !== undefined) return undefined;
  const { attemptId: _dropped, ...rest } = decision;
  return {
    ...rest,
    kind: 'ask',
    ruleId: 'autonomy-recommend',
    reason: `vm-crashed is held at L2: ${visibility.reason}`,
    autonomy: 'L2',
    attemptsInWindow: Math.max(0, decision.attemptsInWindow - 1),
  };
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
  taskVisibility,
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
    requestPermit: async ({ guardianId, request }) => {
      const decision = await update(guardianId, () =>
        need()
          .workflow.getHandle(guardianId)
          .executeUpdate(requestPermitUpdate, { args: [request], updateId: request.requestId }),
      );
      const capped = taskVisibility ? capCrashAutonomy(request, decision, await taskVisibility()) : undefined;
      if (!capped || decision.attemptId === undefined) return decision;
      // The attempt the guardian granted is handed back unused: asking is not an attempt.
      const attemptId = decision.attemptId;
      await update(guardianId, () =>
        need()
          .workflow.getHandle(guardianId)
          .executeUpdate(reportOutcomeUpdate, {
            args: [{ attemptId, incidentKey: request.incident.key, outcome: 'cancelled' }],
            updateId: `${request.requestId}:held-at-L2`,
          }),
      );
      return capped;
    },
    reportOutcome: ({ guardianId, updateId, report }) =>
      update(guardianId, () =>
        need()
          .workflow.getHandle(guardianId)
          .executeUpdate(reportOutcomeUpdate, { args: [report], updateId }),
      ),
    reportRecovery: ({ guardianId, updateId, report }) =>
      update(guardianId, () =>
        need()
          .workflow.getHandle(guardianId)
          .executeUpdate(reportRecoveryUpdate, { args: [report], updateId }),
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
