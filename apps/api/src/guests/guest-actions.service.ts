import { Inject, Injectable } from '@nestjs/common';
import { type WorkflowHandle } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { type ClusterGuest } from '@jarvis/activities';
import { evaluateAction, requesterFields, type PolicyData, type PowerAction, type Tier } from '@jarvis/policies';
import {
  progressQuery,
  VM_ACTION_WORKFLOW,
  type VmActionInput,
  type VmActionProgress,
  type VmActionResult,
} from '@jarvis/workflows/api';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { type AuthUser } from '../common/http.types';
import { ClusterService } from '../cluster/cluster.service';
import { ApiError } from '../errors/api-error';
import { isTemporalUnavailable } from '../infra/temporal-errors';
import { TemporalService } from '../infra/temporal.service';
import { DecisionSigner } from '../auth/decision-signer';
import { PolicyDataService } from './policy-data.service';
import { vmActionWorkflowId } from './workflow-id';

export interface GuestActionAccepted {
  readonly workflowId: string;
  readonly tier: Tier;
  readonly state: string;
  /** When the run has already ended (e.g. `failed`): why, in Proxmox's words. */
  readonly reason?: string;
}

/** Phases a run no longer leaves. */
const ENDED: ReadonlySet<string> = new Set(['done', 'failed', 'blocked', 'rejected', 'expired', 'not-found']);

const JARVIS_KIND = defineSearchAttributeKey('JarvisKind', SearchAttributeType.KEYWORD);
/** How long the request waits for the workflow to tell its tier before answering from the API's own evaluation. */
const TIER_WAIT_MS = 3000;
const START_TIMEOUT_MS = 5000;
const POLL_MS = 25;
/** How long a BLACK request waits for the workflow's recorded refusal (it finishes in milliseconds with a worker). */
const BLOCK_RESULT_WAIT_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
export class GuestActionsService {
  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly cluster: ClusterService,
    private readonly temporal: TemporalService,
    private readonly policies: PolicyDataService,
    private readonly signer: DecisionSigner,
  ) {}

  async request(
    node: string,
    vmid: number,
    action: PowerAction,
    reason: string | undefined,
    user: AuthUser,
  ): Promise<GuestActionAccepted> {
    const guest = await this.locate(node, vmid);
    const { policy } = await this.policies.forRequest();
    const workflowId = vmActionWorkflowId(node, vmid, action);
    const requestedBy = { kind: 'operator', id: user.username } as const;
    // No policy travels in the input (the workflow loads Jarvis's own); the requester is vouched for.
    const input: VmActionInput = {
      node,
      vmid,
      action,
      ...(reason ? { reason } : {}),
      requestedBy,
      requesterVoucher: this.signer.sign('requester', requesterFields({ workflowId, ...requestedBy })),
      approvalTtlMs: this.config.approvalTtlMs,
      escalateAfterMs: this.config.approvalEscalateMs,
    };
    const handle = await this.start(workflowId, input);

    const progress = await this.awaitTier(handle);
    if (progress?.tier) {
      if (progress.tier === 'BLACK')
        return this.refuseBlocked(workflowId, this.ownDecision(guest, action, policy).reason, handle);
      return {
        workflowId,
        tier: progress.tier,
        state: progress.phase,
        ...(progress.reason !== undefined ? { reason: progress.reason } : {}),
      };
    }
    if (progress && ENDED.has(progress.phase)) {
      // The run ended before it judged a tier (a read Proxmox refused, say): it says why; the
      // tier is the API's own reading of the same policy.
      return {
        workflowId,
        tier: this.ownDecision(guest, action, policy).tier,
        state: progress.phase,
        ...(progress.reason !== undefined ? { reason: progress.reason } : {}),
      };
    }
    const closed = await this.closedStatus(handle);
    if (closed) {
      // A run that failed as a workflow (recorded before failures were steps) is no queued request.
      return {
        workflowId,
        tier: this.ownDecision(guest, action, policy).tier,
        state: 'failed',
        reason: `the workflow ended ${closed}`,
      };
    }
    // No worker answered in time: the workflow is durable and will run when one does; meanwhile
    // the API's own reading of the same policy is what the operator gets.
    const own = this.ownDecision(guest, action, policy);
    if (own.tier === 'BLACK') return this.refuseBlocked(workflowId, own.reason);
    return { workflowId, tier: own.tier, state: 'queued' };
  }

  /** The guest as the cluster shows it, or a 404/409 before anything durable is started. */
  private async locate(node: string, vmid: number): Promise<ClusterGuest> {
    const { guest, state } = await this.cluster.findGuest(node, vmid);
    if (!guest) {
      const elsewhere = state.guests.find((g) => g.vmid === vmid);
      // PVE leaves out of its lists, silently, what the token may not audit: say so.
      const why = elsewhere ? '' : ` (or the Jarvis API token may not see it: that needs VM.Audit on /vms/${vmid})`;
      throw new ApiError('GUEST_NOT_FOUND', `guest ${vmid} is not on node ${node}${why}`, {
        node,
        vmid,
        ...(elsewhere ? { actualNode: elsewhere.node } : {}),
      });
    }
    if (state.nodes.find((n) => n.name === node)?.status === 'offline') {
      throw new ApiError('NODE_OFFLINE', `node ${node} is offline; guest ${vmid} cannot be acted on until it is back`, {
        node,
        vmid,
      });
    }
    return guest;
  }

  private ownDecision(guest: ClusterGuest, action: PowerAction, policy: PolicyData) {
    const haManaged = guest.hastate !== undefined && guest.hastate !== 'ignored';
    return evaluateAction(
      { tool: `guest.${action}`, args: { node: guest.node, vmid: guest.vmid, kind: guest.type } },
      { haManaged },
      policy,
    );
  }

  private async start(workflowId: string, input: VmActionInput): Promise<WorkflowHandle> {
    try {
      return await this.temporal.call(START_TIMEOUT_MS, (client) =>
        client.workflow.start(VM_ACTION_WORKFLOW, {
          taskQueue: this.temporal.taskQueue,
          workflowId,
          args: [input],
          typedSearchAttributes: [{ key: JARVIS_KIND, value: 'vm-action' }],
        }),
      );
    } catch (err) {
      if (isTemporalUnavailable(err))
        throw new ApiError(
          'TEMPORAL_UNAVAILABLE',
          'the workflow engine is unavailable; nothing was started',
          undefined,
          { cause: err },
        );
      throw err;
    }
  }

  /** Polls the workflow's progress until it has judged the tier, or gives up after TIER_WAIT_MS. */
  private async awaitTier(handle: WorkflowHandle): Promise<VmActionProgress | undefined> {
    const deadline = Date.now() + TIER_WAIT_MS;
    while (Date.now() < deadline) {
      try {
        const progress = await this.temporal.call(Math.max(1, deadline - Date.now()), () =>
          handle.query(progressQuery),
        );
        if (progress.tier || ENDED.has(progress.phase)) return progress;
      } catch {
        // Before the first workflow task completes (or with no worker) queries fail or time out; keep trying.
      }
      await sleep(POLL_MS);
    }
    return undefined;
  }

  /** FAILED, TERMINATED, TIMED_OUT or CANCELLED when the run is closed without a result; else undefined. */
  private async closedStatus(handle: WorkflowHandle): Promise<string | undefined> {
    try {
      const { status } = await this.temporal.call(1000, () => handle.describe());
      return ['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED'].includes(status.name) ? status.name : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A BLACK request: the workflow records the refusal; the caller gets a 403 (or a 404 if the
   * workflow found the guest gone). With a running workflow its own reason is used.
   */
  private async refuseBlocked(workflowId: string, fallbackReason: string, handle?: WorkflowHandle): Promise<never> {
    const result = handle
      ? await this.temporal
          .call(BLOCK_RESULT_WAIT_MS, () => handle.result() as Promise<VmActionResult>)
          .catch(() => undefined)
      : undefined;
    if (result?.outcome === 'not-found') {
      throw new ApiError('GUEST_NOT_FOUND', result.reason, { workflowId });
    }
    const reason = result?.reason ?? fallbackReason;
    throw new ApiError('POLICY_BLOCKED', `blocked by policy: ${reason}`, { tier: 'BLACK', workflowId, reason });
  }
}
