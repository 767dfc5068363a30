import {
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '@jarvis/activities';
import {
  checkIncident,
  chooseWakeRelay,
  evaluateAction,
  type ClusterSnapshot,
  type IncidentCheck,
  type Tier,
} from '@jarvis/policies';
import { loadRunPolicy } from './policy-loader';
import { createApprovalGate } from './approval-gate';
import { type GuardianActivities } from './guardian.activities';
import { guardianWakeSignal, type GuardianAttempt, type PermitDecision } from './guardian.messages';
import {
  REMEDIATION_WORKFLOW,
  remediationProgressQuery,
  type RemediationInput,
  type RemediationOutcome,
  type RemediationPhase,
  type RemediationResult,
} from './remediation.messages';
import { dispatchTool, type ToolDispatchDeps } from './tool-dispatch';

type Acts = activities.ProxmoxActivities &
  activities.DbActivities &
  activities.RemediationActivities &
  activities.NotifyActivities &
  activities.ChatActivities;

/** Snapshot and rollback tiers come from the catalog and the operator's tier table. */
const TOOL_TIERS_FROM_CATALOG = 'remediation-tool-tiers-from-catalog';
/**
 * A node is woken through another online node's own endpoint (PVE refuses to wake the node that
 * serves the request), and another is tried when one fails.
 */
const WAKE_THROUGH_SURVIVOR = 'node-wake-through-survivor';
/**
 * Attempts carry their run, what failed and the cluster they acted on; an escalation lists the
 * failures it counted; a run that ends in recovery clears its incident's failures.
 */
const ATTEMPT_PROVENANCE = 'remediation-attempt-provenance';
/** At most this many nodes are asked to send one wake-on-LAN packet before the attempt fails. */
const MAX_WAKE_RELAYS = 3;
type Step = activities.WorkflowStep;
type CountedFailure = activities.CountedFailure;

const local = proxyLocalActivities<Acts>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 10 },
});
const guardian = proxyActivities<GuardianActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 20 },
});
const notify = proxyActivities<Acts>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 5 },
});

/** An attempt's result: whether the runbook's action worked and stayed working. */
interface AttemptResult {
  readonly ok: boolean;
  readonly detail: string;
  /** A failed verification with this set is undone (through its tier's approval), then escalated. */
  readonly undo?: Undo;
}

/** What an action is, for the guardrails' approval card. */
type ActionCard = Pick<Runbook, 'tool' | 'actionName' | 'resourceName' | 'args'>;

/** How to undo a step whose verification failed, e.g. a rollback to the snapshot taken before it. */
interface Undo extends ActionCard {
  readonly tier: 'YELLOW' | 'RED';
  readonly description: string;
  run(): Promise<AttemptResult>;
}

/** One runbook: the tier of its action, the action with its verification, and the live re-check. */
interface Runbook {
  readonly tool: string;
  readonly actionName: string;
  readonly resourceName: string;
  readonly args: Record<string, unknown>;
  tier(): Promise<Tier>;
  recheck(): Promise<IncidentCheck>;
  act(attempt: number): Promise<AttemptResult>;
}

/** How many inconclusive re-checks in a row end the remediation as unresolved. */
const MAX_UNKNOWN_CHECKS = 10;

/**
 * Remediates one incident; its workflow ID is the incident key. The runbook for the incident
 * class acts under the guardian's guardrails (kill switch, rate limit, blast radius, escalation),
 * re-checks the incident before every action, asks the kill switch right before every destructive
 * activity, verifies the outcome, and escalates by mail when it must stop.
 */
export async function remediationWorkflow(input: RemediationInput): Promise<RemediationResult> {
  const { workflowId, runId, firstExecutionRunId } = workflowInfo();
  const { incident, settings } = input;
  const subject = incident.subject;
  // The tail: run IDs are time-ordered UUIDs, so their heads are shared by runs started close together.
  const runTag = firstExecutionRunId.replace(/-/g, '').slice(-12);
  const incidentId = `${workflowId}:${runTag}`;
  const proxmox = proxyActivities<Acts>({
    startToCloseTimeout: '45s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
  });
  const once = proxyActivities<Acts>({
    startToCloseTimeout: '45s',
    retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 2 },
  });
  // One try per relay: the next relay is the retry.
  const relay = proxyActivities<Acts>({
    startToCloseTimeout: '45s',
    retry: { maximumAttempts: 1 },
  });
  const follower = proxyActivities<Acts>({
    startToCloseTimeout:
      (settings.taskTimeoutMs ?? 10 * 60_000) +
      Math.max(settings.stabilityWindowMs, settings.nodeBootTimeoutMs) +
      60_000,
    heartbeatTimeout: settings.heartbeatTimeoutMs ?? 30_000,
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 20 },
  });

  // Snapshot and rollback go through the one tool dispatcher; its other tools are not used here.
  const toolDeps: ToolDispatchDeps = {
    handlers: once,
    steps: {
      issuePowerAction: once.issuePowerAction,
      followPowerTask: follower.followPowerTask,
      issueSnapshot: once.issueSnapshot,
      issueRollback: once.issueRollback,
      waitForTask: follower.waitForTask,
    },
    now: () => Date.now(),
    alongside: () => flush(),
    ...(settings.taskTimeoutMs ? { taskTimeoutMs: settings.taskTimeoutMs } : {}),
  };

  let phase: RemediationPhase = 'starting';
  let attempts = 0;
  let waitingFor: string | undefined;
  let stepSeq = 0;
  let permitSeq = 0;
  let gateSeq = 0;
  let incidentVersion = 0;
  let woken = false;
  /** Whether this run records its attempts' provenance (ATTEMPT_PROVENANCE); set where the runbook starts. */
  let provenance = false;
  const tried: { n: number; at: string; outcome: string; detail?: string }[] = [];

  setHandler(guardianWakeSignal, () => {
    woken = true;
  });
  setHandler(remediationProgressQuery, () => ({ phase, attempts, ...(waitingFor ? { waitingFor } : {}) }));

  const unwritten: Step[] = [];
  const target = { node: subject.node, ...(subject.vmid !== undefined ? { vmid: subject.vmid } : {}) };
  const step = (kind: string, title: string, extra: { by?: string; detail?: Record<string, unknown> } = {}): void => {
    unwritten.push({
      // The run in the key: an incident key recurs, and every occurrence keeps all its steps.
      key: `${runTag}-step-${++stepSeq}`,
      kind,
      title,
      at: new Date(Date.now()).toISOString(),
      ...target,
      ...extra,
    });
  };
  const flush = async (archive?: { kind: string; summary: Record<string, unknown> }): Promise<void> => {
    if (unwritten.length === 0 && !archive) return;
    await local.recordSteps({ steps: unwritten.splice(0), ...(archive ? { archive } : {}) });
  };
  // Jarvis's policy, from its store: whatever policy the input carries is never read.
  const run = await loadRunPolicy(input);
  const gate = createApprovalGate({ step, flush }, 'Approve or reject this remediation as an operator.', {
    signed: run.fromStore,
    ...(run.decisionKey ? { publicKey: run.decisionKey.publicKey } : {}),
  });
  const publish = (state: 'open' | 'resolved' | 'escalated', outcome?: RemediationOutcome): Promise<void> =>
    local.upsertIncident({
      id: incidentId,
      incidentKey: incident.key,
      workflowId,
      version: ++incidentVersion,
      class: incident.class,
      severity: incident.severity,
      subject,
      state,
      ...(outcome ? { outcome } : {}),
      evidence: { ...incident.evidence },
      attempts,
      detectedAt: input.detectedAt,
      ...(state === 'open' ? {} : { resolvedAt: new Date(Date.now()).toISOString() }),
    });

  /** Waits for the guardian's wake-up signal, or `ms` at most. */
  const waitForWake = async (ms: number): Promise<void> => {
    await condition(() => woken, Math.max(1, ms));
  };

  step('detected', `Detected: ${describeIncident()}`, {
    by: 'monitor',
    detail: {
      incidentKey: incident.key,
      class: incident.class,
      severity: incident.severity,
      evidence: incident.evidence,
      detectedAt: input.detectedAt,
      ...(run.fromStore ? { policyVersion: run.version } : {}),
    },
  });
  await Promise.all([publish('open'), flush()]);

  const runbook = runbookFor();
  const result = runbook ? await remediate(runbook) : await watch('alert');
  return finish(result);

  // ---- the runbooks ----

  function runbookFor(): Runbook | undefined {
    switch (incident.class) {
      case 'vm-crashed':
        return subject.vmid === undefined ? undefined : guestRunbook(subject.vmid);
      case 'node-down':
        return nodeRunbook();
      case 'service-down':
        return subject.service === undefined ? undefined : serviceRunbook(subject.service);
      default:
        return undefined;
    }
  }

  function guestRunbook(vmid: number): Runbook {
    let facts: Awaited<ReturnType<Acts['describeGuest']>> | undefined;
    const kind = (): 'qemu' | 'lxc' => facts?.kind ?? (incident.evidence['type'] === 'lxc' ? 'lxc' : 'qemu');
    return {
      tool: 'guest.start',
      actionName: 'start',
      resourceName: typeof incident.evidence['name'] === 'string' ? incident.evidence['name'] : String(vmid),
      args: { node: subject.node, vmid },
      async tier() {
        facts = await local.describeGuest({ node: subject.node, vmid });
        return evaluateAction(
          { tool: 'guest.start', args: { node: subject.node, vmid, kind: facts.kind } },
          { haManaged: facts.haManaged },
          run.policy,
        ).tier;
      },
      async recheck() {
        const { status, desired } = await proxmox.readGuestStatus({ node: subject.node, vmid, kind: kind() });
        // A stop the operator asked for after the crash was seen is theirs: restarting would undo it.
        return checkIncident(
          incident,
          {
            nodes: [{ name: subject.node, status: 'online', mem: 0, maxmem: 0 }],
            guests: [{ vmid, node: subject.node, status, template: facts?.template ?? false }],
          },
          desired ? { desired: [desired] } : {},
        );
      },
      async act(n) {
        phase = 'acting';
        // A guest that has crashed this often gets a safety net first: a snapshot the restart can be rolled back to.
        const snapshotAfter = settings.snapshotBeforeRestartAfter;
        let undo: Undo | undefined;
        if (snapshotAfter !== undefined && snapshotAfter > 0 && n >= snapshotAfter && kind() === 'qemu') {
          const taken = await snapshotBeforeRestart(vmid, n);
          if (!taken.ok) return taken;
          undo = taken.undo;
        }
        const withUndo = (r: AttemptResult): AttemptResult => (undo ? { ...r, undo } : r);
        step('restarting', `Restarting guest ${vmid} on ${subject.node} (attempt ${n})`, {
          detail: { attempt: n, action: 'start' },
        });
        const notBeforeMs = Date.now();
        let upid: string | undefined;
        try {
          const [issued] = await Promise.all([
            proxmox.issuePowerAction({ node: subject.node, vmid, kind: kind(), action: 'start', notBeforeMs }),
            flush(),
          ]);
          upid = issued.upid;
          step('task', `Proxmox task ${issued.adopted ? 'found after a retry' : 'started'}`, {
            detail: { upid, adopted: issued.adopted },
          });
          phase = 'verifying';
          const [{ task, verification }] = await Promise.all([
            follower.followPowerTask({
              node: subject.node,
              vmid,
              kind: kind(),
              upid,
              expected: 'running',
              ...(settings.taskTimeoutMs ? { taskTimeoutMs: settings.taskTimeoutMs } : {}),
            }),
            flush(),
          ]);
          step(
            task.ok ? 'task-finished' : 'task-failed',
            `Task ${task.ok ? 'finished' : 'failed'}: ${task.exitstatus}`,
            {
              detail: { upid, exitstatus: task.exitstatus, durationMs: task.durationMs },
            },
          );
          if (!task.ok || !verification?.verified) {
            return withUndo({
              ok: false,
              detail: task.ok ? `guest is ${verification?.status ?? 'unknown'}` : task.exitstatus,
            });
          }
          step('running', `Guest ${vmid} is running; watching it for ${seconds(settings.stabilityWindowMs)}`, {
            detail: { upid, observedAt: verification.observedAt, status: verification.status },
          });
        } catch (err) {
          const type = failureType(err);
          if (type !== 'ALREADY_RUNNING') {
            if (!type) throw err;
            return { ok: false, detail: `${type}: ${failureMessage(err)}` };
          }
          step('running', `Guest ${vmid} was already running; watching it for ${seconds(settings.stabilityWindowMs)}`);
        }
        const [stability] = await Promise.all([
          follower.watchGuestStability({
            node: subject.node,
            vmid,
            kind: kind(),
            windowMs: settings.stabilityWindowMs,
          }),
          flush(),
        ]);
        if (!stability.stable) {
          step('unstable', `Guest ${vmid} fell over again (${stability.status}) within the stability window`, {
            detail: { status: stability.status, observedAt: stability.observedAt, checks: stability.checks },
          });
          return withUndo({
            ok: false,
            detail: `crashed again within ${seconds(settings.stabilityWindowMs)} of starting`,
          });
        }
        step('verified', `Verified: guest ${vmid} stayed up for ${seconds(settings.stabilityWindowMs)}`, {
          detail: { observedAt: stability.observedAt, checks: stability.checks, ...(upid ? { upid } : {}) },
        });
        return { ok: true, detail: `guest ${vmid} is running and stable` };
      },
    };
  }

  /**
   * A disk snapshot of the VM before restart attempt `n`, and how to roll back to it: both are
   * catalog tools (guest.snapshot YELLOW, run on the runbook's standing approval; guest.rollback
   * RED, always asked for), carried out by the one tool dispatcher.
   */
  async function snapshotBeforeRestart(vmid: number, n: number): Promise<AttemptResult> {
    const name = `jarvis_${runTag}_${n}`;
    const node = subject.node;
    // Before this patch the tiers were literals here; histories recorded then replay without the checks.
    const tiersFromCatalog = patched(TOOL_TIERS_FROM_CATALOG);
    if (tiersFromCatalog) {
      const tier = evaluateAction({ tool: 'guest.snapshot', args: { node, vmid, name } }, {}, run.policy).tier;
      if (tier !== 'GREEN' && tier !== 'YELLOW')
        return { ok: false, detail: `no restart without its snapshot: guest.snapshot is ${tier} in the tier table` };
    }
    step('snapshotting', `Taking snapshot ${name} of guest ${vmid} before restarting it (attempt ${n})`, {
      detail: { snapshot: name, attempt: n },
    });
    const taken = await dispatchTool(
      'guest.snapshot',
      { node, vmid, name, description: `Jarvis, before restart attempt ${n} (${incident.key})` },
      toolDeps,
    );
    if (!taken.ok) {
      step('snapshot-failed', `Snapshot ${name} failed: ${taken.lines[0] ?? ''}`.slice(0, 300), {
        detail: { ...taken.data },
      });
      return { ok: false, detail: `no restart without its snapshot: ${taken.lines[0] ?? 'failed'}` };
    }
    step('snapshot', `Snapshot ${name} taken`, { detail: { upid: taken.data?.['upid'], snapshot: name } });
    const rollbackTier = tiersFromCatalog
      ? evaluateAction({ tool: 'guest.rollback', args: { node, vmid, snapshot: name } }, {}, run.policy).tier
      : 'RED';
    // A rollback the tier table forbids is not offered; the snapshot stays for the operator.
    if (rollbackTier === 'BLACK') return { ok: true, detail: `snapshot ${name}` };
    return {
      ok: true,
      detail: `snapshot ${name}`,
      undo: {
        tool: 'guest.rollback',
        actionName: 'rollback',
        resourceName: `${vmid}@${name}`,
        args: { node, vmid, snapshot: name },
        tier: rollbackTier === 'RED' ? 'RED' : 'YELLOW',
        description: `roll guest ${vmid} back to snapshot ${name}`,
        async run() {
          const rolled = await dispatchTool('guest.rollback', { node, vmid, snapshot: name }, toolDeps);
          const upid = rolled.data?.['upid'];
          if (upid !== undefined)
            step('task', `Proxmox task started: rollback of guest ${vmid} to ${name}`, { detail: { upid } });
          return rolled.ok
            ? { ok: true, detail: `rolled back to snapshot ${name} (${String(upid)})` }
            : { ok: false, detail: rolled.lines[0] ?? `the rollback to ${name} failed` };
        },
      },
    };
  }

  function nodeRunbook(): Runbook {
    const node = subject.node;
    return {
      tool: 'node.wake',
      actionName: 'wake',
      resourceName: node,
      args: { node },
      tier: () => Promise.resolve(evaluateAction({ tool: 'node.wake', args: { node } }, {}, run.policy).tier),
      async recheck() {
        const { online } = await proxmox.waitNodeOnline({ node, timeoutMs: 0 });
        return online ? 'cleared' : 'holds';
      },
      async act(n) {
        phase = 'acting';
        if (!patched(WAKE_THROUGH_SURVIVOR)) return wakeFromServingNode(n);
        let membership: Awaited<ReturnType<Acts['clusterMembers']>>;
        try {
          membership = await proxmox.clusterMembers({});
        } catch (err) {
          const type = failureType(err);
          if (!type) throw err;
          return { ok: false, detail: `the cluster's membership could not be read: ${type}: ${failureMessage(err)}` };
        }
        const failed: string[] = [];
        // Why each relay failed; relays that failed alike are named together.
        const failures = new Map<string, string[]>();
        let sent: { mac: string; via: string } | undefined;
        while (!sent && failed.length < MAX_WAKE_RELAYS) {
          const choice = chooseWakeRelay({ target: node, ...membership, tried: failed });
          if (choice.kind === 'none') {
            // Nobody to ask at all: only the operator can help (power, network, quorum).
            if (failed.length === 0) throw new NeedsOperator(`cannot wake ${node}: ${choice.reason}`);
            break;
          }
          const via = choice.node;
          step('waking', `Waking ${node} through ${via} (attempt ${n})`, {
            detail: { attempt: n, action: 'wake', via, why: choice.reason, ...(failed.length ? { failed } : {}) },
          });
          try {
            const [woke] = await Promise.all([relay.wakeNode({ node, via }), flush()]);
            sent = { mac: woke.mac, via };
          } catch (err) {
            const type = failureType(err);
            if (!type) throw err;
            const why = `${type}: ${failureMessage(err)}`;
            failed.push(via);
            failures.set(why, [...(failures.get(why) ?? []), via]);
            step('wake-relay-failed', `Waking ${node} through ${via} failed: ${why}`.slice(0, 300), {
              detail: { via, error: why },
            });
          }
        }
        if (!sent) {
          const each = [...failures].map(([why, vias]) => `through ${vias.join(', ')}: ${why}`);
          return { ok: false, detail: `the wake-on-LAN request failed ${each.join('; ')}`.slice(0, 300) };
        }
        step('wake-sent', `Wake-on-LAN packet sent for ${node} (${sent.mac}) through ${sent.via}`, {
          detail: { mac: sent.mac, via: sent.via },
        });
        return verifyBack();
      },
    };

    /** Before the survivor patch: the node serving the API sent the packet. */
    async function wakeFromServingNode(n: number): Promise<AttemptResult> {
      step('waking', `Waking node ${node} over LAN (attempt ${n})`, { detail: { attempt: n, action: 'wake' } });
      try {
        const [{ mac }] = await Promise.all([once.wakeNode({ node }), flush()]);
        step('wake-sent', `Wake-on-LAN packet sent for ${node} (${mac})`, { detail: { mac } });
      } catch (err) {
        const type = failureType(err);
        if (!type) throw err;
        return { ok: false, detail: `${type}: ${failureMessage(err)}` };
      }
      return verifyBack();
    }

    async function verifyBack(): Promise<AttemptResult> {
      phase = 'verifying';
      const [back] = await Promise.all([
        follower.waitNodeOnline({ node, timeoutMs: settings.nodeBootTimeoutMs }),
        flush(),
      ]);
      if (!back.online)
        return { ok: false, detail: `${node} did not come back within ${seconds(settings.nodeBootTimeoutMs)}` };
      step('verified', `Verified: node ${node} is back online`, { detail: { observedAt: back.observedAt } });
      return { ok: true, detail: `${node} is online` };
    }
  }

  function serviceRunbook(service: string): Runbook {
    const node = subject.node;
    return {
      tool: 'service.restart',
      actionName: 'restart-service',
      resourceName: service,
      args: { node, service },
      tier() {
        const decision = evaluateAction({ tool: 'service.restart', args: { node, service } }, {}, run.policy);
        // A restart the SSH allowlist refuses can never run: say why before the guardrails stop it.
        if (decision.ruleId === 'ssh-allowlist')
          step('refused', `Restarting ${service} on ${node} can never run: ${decision.reason}`, {
            detail: { tier: decision.tier, ruleId: decision.ruleId, reason: decision.reason },
          });
        return Promise.resolve(decision.tier);
      },
      async recheck() {
        try {
          const { active } = await once.checkService({ node, service });
          return active ? 'cleared' : 'holds';
        } catch (err) {
          if (failureType(err) === 'SSH_NOT_CONFIGURED') return 'holds';
          return 'unknown';
        }
      },
      async act(n) {
        phase = 'acting';
        step('restarting', `Restarting service ${service} on ${node} (attempt ${n})`, {
          detail: { attempt: n, service },
        });
        try {
          const [ran] = await Promise.all([once.restartService({ node, service }), flush()]);
          if (ran.exitCode !== 0) return { ok: false, detail: `systemctl exited with ${ran.exitCode}` };
          phase = 'verifying';
          const { active } = await once.checkService({ node, service });
          if (!active) return { ok: false, detail: `${service} is not active after the restart` };
        } catch (err) {
          const type = failureType(err);
          if (!type) throw err;
          if (type === 'SSH_NOT_CONFIGURED') throw new NeedsOperator(failureMessage(err));
          return { ok: false, detail: `${type}: ${failureMessage(err)}` };
        }
        step('verified', `Verified: ${service} is active on ${node}`);
        return { ok: true, detail: `${service} is active` };
      },
    };
  }

  // ---- the guarded loop ----

  async function remediate(rb: Runbook): Promise<RemediationResult> {
    let approvedBy: string | undefined;
    let lastWait: string | undefined;
    let unknownChecks = 0;
    provenance = patched(ATTEMPT_PROVENANCE);
    // Which cluster the attempts act on: the guardian drops another cluster's. Unknown, all count.
    const cluster = provenance ? (await once.clusterIdentity({})).identity : undefined;
    for (;;) {
      const tier = await rb.tier();
      woken = false;
      const permit = await guardian.requestPermit({
        guardianId: input.guardianId,
        request: {
          requestId: `${workflowId}:${runId}:permit-${++permitSeq}`,
          workflowId,
          incident,
          tier,
          ...(approvedBy ? { approvedBy } : {}),
          ...(provenance ? { runId, ...(cluster !== undefined ? { cluster } : {}) } : {}),
        },
      });
      if (permit.kind === 'wait') {
        if (lastWait !== permit.ruleId) {
          step(permit.ruleId === 'kill-switch' ? 'paused' : 'waiting', `Guardrails: ${permit.reason}`, {
            by: 'guardian',
            detail: guardrailDetail(permit, tier),
          });
          lastWait = permit.ruleId;
        }
        phase = permit.ruleId === 'kill-switch' ? 'paused' : 'waiting';
        waitingFor = permit.ruleId;
        await flush();
        await waitForWake(Math.min(permit.retryAfterMs ?? settings.recheckMs, settings.recheckMs));
        continue;
      }
      waitingFor = undefined;
      lastWait = undefined;
      step(permit.kind === 'allow' ? 'permitted' : `guardrail-${permit.kind}`, `Guardrails: ${permit.reason}`, {
        by: 'guardian',
        detail: guardrailDetail(permit, tier),
      });
      if (permit.kind === 'escalate') return escalate(permit.reason, 'escalated', permit.counted);
      if (permit.kind === 'deny') {
        if (['autonomy-observe', 'autonomy-alert', 'no-action'].includes(permit.ruleId)) return watch('alert');
        return escalate(`Jarvis may not act: ${permit.reason}`, 'blocked');
      }
      if (permit.kind === 'ask') {
        const asked = await askApproval(rb, permit.ruleId === 'tier-red' ? 'RED' : 'YELLOW');
        if (!asked.approvedBy) return escalate(asked.reason, asked.outcome);
        approvedBy = asked.approvedBy;
        continue;
      }

      // allow: the incident must still hold, and the kill switch must be open, right before acting.
      const attemptId = permit.attemptId ?? `attempt-${permitSeq}`;
      const report = (outcome: 'succeeded' | 'failed' | 'cancelled', detail?: string) =>
        guardian.reportOutcome({
          guardianId: input.guardianId,
          updateId: `${workflowId}:${runId}:${attemptId}:report`,
          report: {
            attemptId,
            incidentKey: incident.key,
            outcome,
            ...(provenance && detail !== undefined ? { detail } : {}),
          },
        });
      const check = await rb.recheck();
      if (check !== 'holds') {
        await report('cancelled');
        if (check === 'cleared') {
          step('cleared', `Re-check: the incident no longer holds; nothing to do`, { detail: { check } });
          return { outcome: 'cleared', attempts, reason: 'the incident cleared by itself' };
        }
        if (++unknownChecks >= MAX_UNKNOWN_CHECKS) {
          return escalate(`the incident could not be re-checked ${unknownChecks} times in a row`, 'unresolved');
        }
        step('recheck-unknown', 'Re-check: cannot tell whether the incident still holds; waiting', {
          detail: { check },
        });
        await flush();
        await sleep(settings.recheckMs);
        continue;
      }
      unknownChecks = 0;
      woken = false;
      const gate = await guardian.checkGate({
        guardianId: input.guardianId,
        updateId: `${workflowId}:${runId}:gate-${++gateSeq}`,
        request: { workflowId, incidentKey: incident.key },
      });
      if (gate.kind !== 'allow') {
        await report('cancelled');
        step('paused', `Paused before acting: ${gate.reason}`, { by: 'guardian', detail: { ruleId: gate.ruleId } });
        lastWait = 'kill-switch';
        phase = 'paused';
        waitingFor = 'kill-switch';
        await flush();
        await waitForWake(settings.recheckMs);
        continue;
      }

      attempts++;
      const at = new Date(Date.now()).toISOString();
      let outcome: AttemptResult;
      try {
        outcome = await rb.act(attempts);
      } catch (err) {
        if (err instanceof NeedsOperator) {
          await report('cancelled');
          return escalate(err.message, 'escalated');
        }
        await report('failed', `the attempt broke off: ${(err as Error).message ?? String(err)}`.slice(0, 300));
        throw err;
      }
      await report(outcome.ok ? 'succeeded' : 'failed', outcome.ok ? undefined : outcome.detail);
      tried.push({ n: attempts, at, outcome: outcome.ok ? 'succeeded' : 'failed', detail: outcome.detail });
      if (!outcome.ok && outcome.undo) {
        // Verified remediation: a step that can be undone is undone when its verification fails, then escalated.
        step('attempt-failed', `Attempt ${attempts} failed: ${outcome.detail}`, { detail: { attempt: attempts } });
        const undone = await undo(outcome.undo);
        return escalate(`attempt ${attempts} failed verification (${outcome.detail}); ${undone}`);
      }
      if (outcome.ok) {
        step('resolved', `Resolved: ${outcome.detail}`, { detail: { attempts } });
        return { outcome: 'resolved', attempts, reason: outcome.detail };
      }
      step('attempt-failed', `Attempt ${attempts} failed: ${outcome.detail}`, { detail: { attempt: attempts } });
      await Promise.all([publish('open'), flush()]);
    }
  }

  /** Runs an undo after its approval, checking the kill switch right before; says what became of it. */
  async function undo(u: Undo): Promise<string> {
    step('rollback-requested', `Verification failed: ${u.description} (${u.tier}: an operator must approve)`, {
      by: `runbook:${incident.class}`,
      detail: { tool: u.tool, args: u.args, tier: u.tier },
    });
    const asked = await askApproval(u, u.tier, {
      reason: `Undo after a failed verification: ${u.description}`,
    });
    if (!asked.approvedBy) {
      step('rollback-skipped', `Not rolled back: ${asked.reason}`);
      return `not rolled back (${asked.reason})`;
    }
    const gate = await guardian.checkGate({
      guardianId: input.guardianId,
      updateId: `${workflowId}:${runId}:gate-${++gateSeq}`,
      request: { workflowId, incidentKey: incident.key },
    });
    if (gate.kind !== 'allow') {
      step('rollback-skipped', `Not rolled back: ${gate.reason}`, { by: 'guardian', detail: { ruleId: gate.ruleId } });
      return `not rolled back (${gate.reason})`;
    }
    phase = 'acting';
    let done: AttemptResult;
    try {
      done = await u.run();
    } catch (err) {
      const type = failureType(err);
      if (!type) throw err;
      done = { ok: false, detail: `the rollback failed: ${type}: ${failureMessage(err)}` };
    }
    step(done.ok ? 'rolled-back' : 'rollback-failed', done.ok ? `Rolled back: ${done.detail}` : done.detail, {
      by: asked.approvedBy,
    });
    return done.detail;
  }

  /** L2 (or a RED action): an approval like any other, through the same gate and `decide` update. */
  async function askApproval(
    rb: ActionCard,
    tier: 'YELLOW' | 'RED',
    opts: { reason?: string } = {},
  ): Promise<{ approvedBy?: string; outcome: RemediationOutcome; reason: string }> {
    phase = 'awaiting-approval';
    const asked = await gate.ask({
      tier,
      requester: { kind: 'runbook', id: `runbook:${incident.class}` },
      tool: rb.tool,
      args: rb.args,
      ttlMs: settings.approvalTtlMs,
      escalateAfterMs: settings.escalateAfterMs,
      twoPersonRule: run.twoPersonRule,
      resourceName: rb.resourceName,
      listing: {
        action: rb.actionName,
        target: { node: subject.node, ...(subject.vmid !== undefined ? { vmid: subject.vmid } : {}) },
        reason: opts.reason ?? `Runbook for ${describeIncident()}`,
      },
      requestStep: {
        kind: 'approval-requested',
        title: `Recommend: ${rb.actionName} ${rb.resourceName}; waiting for an operator's approval`,
        by: `runbook:${incident.class}`,
      },
      overdueStepKind: 'approval-overdue',
    });
    if (asked.status === 'expired') {
      return { outcome: 'expired', reason: 'no operator decided before the approval expired' };
    }
    if (asked.status === 'rejected') {
      return { outcome: 'rejected', reason: `rejected by ${asked.by ?? 'an operator'}` };
    }
    return { approvedBy: asked.by ?? 'an operator', outcome: 'resolved', reason: 'approved' };
  }

  /** Alert only (L0/L1, or no runbook action): say so, recommend, and watch until it clears. */
  async function watch(why: string): Promise<RemediationResult> {
    phase = 'watching';
    step('alert', `Alert: ${describeIncident()}`, { detail: { reason: why, evidence: incident.evidence } });
    const advice = recommendation();
    if (advice) step('recommendation', advice, { by: `runbook:${incident.class}` });
    await flush();
    const until = Date.now() + settings.watchMs;
    while (Date.now() < until) {
      await sleep(Math.min(settings.watchEveryMs, Math.max(1, until - Date.now())));
      let snapshot: ClusterSnapshot | undefined;
      try {
        snapshot = (await local.observeCluster({})).snapshot;
      } catch {
        continue;
      }
      if (checkIncident(incident, snapshot) === 'cleared') {
        step('resolved', 'Resolved: the condition cleared');
        return { outcome: 'alerted', attempts, reason: 'the condition cleared' };
      }
    }
    return escalate(`still not cleared after ${seconds(settings.watchMs)}`, 'unresolved');
  }

  async function escalate(
    reason: string,
    outcome: RemediationOutcome = 'escalated',
    countedBy?: readonly GuardianAttempt[],
  ): Promise<RemediationResult> {
    const counted = (countedBy ?? []).map(countedFailure);
    step(
      'escalated',
      `Escalated to the operator: ${reason}${counted.length ? `. Counted: ${counted.map(describeCounted).join('; ')}` : ''}`,
      { detail: { reason, attempts, ...(counted.length ? { counted } : {}) } },
    );
    await flush();
    const receipt = await notify.sendEscalation({
      incidentKey: incident.key,
      incidentClass: incident.class,
      severity: incident.severity,
      subject,
      evidence: { ...incident.evidence },
      detectedAt: input.detectedAt,
      reason,
      attempts: tried,
      ...(counted.length ? { counted } : {}),
      workflowId,
    });
    step(
      'notified',
      receipt.delivered
        ? `Diagnosis emailed to ${receipt.to ?? 'the operator'}`
        : 'No SMTP relay configured: the diagnosis was logged',
      { detail: { channel: receipt.channel, delivered: receipt.delivered, narrated: receipt.narrated } },
    );
    return { outcome, attempts, reason };
  }

  async function finish(r: RemediationResult): Promise<RemediationResult> {
    phase = 'done';
    await condition(allHandlersFinished);
    const state =
      r.outcome === 'resolved' || r.outcome === 'cleared' || r.outcome === 'alerted' ? 'resolved' : 'escalated';
    if (runbook && state === 'resolved' && (provenance || patched(ATTEMPT_PROVENANCE))) {
      // Recovered: the failures before it must not count against the next occurrence.
      try {
        const { cleared } = await guardian.reportRecovery({
          guardianId: input.guardianId,
          updateId: `${workflowId}:${runId}:recovered`,
          report: { incidentKey: incident.key, workflowId, runId },
        });
        if (cleared > 0)
          step(
            'failures-cleared',
            `Recovered: ${cleared === 1 ? 'the earlier failed attempt no longer counts' : `${cleared} earlier failed attempts no longer count`}`,
            {
              by: 'guardian',
              detail: { cleared },
            },
          );
      } catch {
        // The guardian did not answer: the failures keep counting until they age out or an operator resets them.
      }
    }
    await publish(state, r.outcome);
    await flush({
      kind: REMEDIATION_WORKFLOW,
      summary: {
        ...target,
        incidentKey: incident.key,
        incidentClass: incident.class,
        outcome: r.outcome,
        attempts: r.attempts,
        action: runbook?.actionName ?? 'alert',
        requestedBy: `runbook:${incident.class}`,
      },
    });
    return r;
  }

  // ---- wording ----

  function describeIncident(): string {
    switch (incident.class) {
      case 'vm-crashed':
        return `guest ${subject.vmid} on ${subject.node} stopped without anyone asking`;
      case 'node-down':
        return `node ${subject.node} is unreachable`;
      case 'service-down':
        return `service ${subject.service} on ${subject.node} is down`;
      case 'disk-high':
      case 'disk-critical':
        return `storage ${subject.storage} on ${subject.node} is ${percent(incident.evidence['usedFraction'])} full`;
      case 'ram-high':
        return `node ${subject.node} uses ${percent(incident.evidence['usedFraction'])} of its memory`;
      case 'quorum-at-risk':
        return 'the cluster quorum is at risk';
    }
  }

  function recommendation(): string | undefined {
    switch (incident.class) {
      case 'disk-high':
      case 'disk-critical':
        return `Recommend: free space on ${subject.storage}: prune old backups and snapshots, remove unused disk images, or move disks to another storage`;
      case 'ram-high':
        return `Recommend: migrate or shut down a guest on ${subject.node}, or lower a guest's memory`;
      case 'quorum-at-risk':
        return 'Recommend: bring the offline nodes back; avoid changing cluster configuration until quorum is safe';
      default:
        return undefined;
    }
  }
}

/** Thrown by a runbook step that cannot go on without the operator (e.g. SSH is not configured). */
class NeedsOperator extends Error {}

function countedFailure(a: GuardianAttempt): CountedFailure {
  return {
    at: new Date(a.at).toISOString(),
    workflowId: a.workflowId,
    ...(a.runId !== undefined ? { runId: a.runId } : {}),
    attemptId: a.attemptId,
    ...(a.detail !== undefined ? { detail: a.detail } : {}),
  };
}

function describeCounted(c: CountedFailure): string {
  const run = c.runId !== undefined ? ` run ${c.runId.slice(0, 8)}` : '';
  const detail = c.detail ?? 'failed';
  return `${c.at} (${c.workflowId}${run}): ${detail.length > 160 ? `${detail.slice(0, 159)}…` : detail}`;
}

function guardrailDetail(permit: PermitDecision, tier: Tier): Record<string, unknown> {
  return {
    decision: permit.kind,
    ruleId: permit.ruleId,
    reason: permit.reason,
    tier,
    autonomy: permit.autonomy,
    attemptsInWindow: permit.attemptsInWindow,
    ...(permit.attemptId ? { attemptId: permit.attemptId } : {}),
    ...(permit.retryAfterMs !== undefined ? { retryAfterMs: permit.retryAfterMs } : {}),
    ...(permit.blockedBy ? { blockedBy: permit.blockedBy } : {}),
  };
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;
const percent = (v: unknown): string => (typeof v === 'number' ? `${Math.round(v * 100)}%` : 'very');

function failureType(err: unknown): string | undefined {
  const e = err as { type?: unknown; cause?: { type?: unknown } } | undefined;
  return typeof e?.type === 'string' ? e.type : typeof e?.cause?.type === 'string' ? e.cause.type : undefined;
}

function failureMessage(err: unknown): string {
  const e = err as { message?: unknown; cause?: { message?: unknown } };
  const m = typeof e.cause?.message === 'string' ? e.cause.message : typeof e.message === 'string' ? e.message : '';
  return m.slice(0, 300);
}
