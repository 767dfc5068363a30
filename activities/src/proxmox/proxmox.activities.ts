import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  assertGuestKind,
  assertNodeName,
  assertPowerAction,
  assertVmid,
  haPowerTaskType,
  powerTaskType,
  type GuestKind,
  type PowerAction,
} from './identifiers';
import { chooseWakeRelay, desiredAfterAction, type GuestDesiredState } from '@jarvis/policies';
import { clusterIdentityOf } from './cluster-identity';
import { type ClusterTaskWatch, type DesiredStateStore } from './desired-state';
import { type GuestStatus } from './normalize';
import { isProxmoxError, isRefusal, ProxmoxError } from './proxmox.errors';
import { type ProxmoxClient } from './proxmox.client';
import { type PveTaskListEntry } from './task-records';
import { confirmGuestState, waitForTask as pollTask, type TaskOutcome } from './task-waiter';
import { type ChangeGuard } from '../policy/change-guard';

/**
 * Temporal activities over an injected ProxmoxClient. Arguments are single objects and results
 * plain JSON, because both are recorded in workflow histories and replayed.
 */

export interface GuestDescription {
  vmid: number;
  node: string;
  kind: GuestKind;
  name: string;
  status: GuestStatus;
  template: boolean;
  lock?: string;
  tags: string[];
  haManaged: boolean;
  haState?: string;
  /**
   * Set when Proxmox refused the HA read (or does not offer it): the HA state is unknown, so
   * `haManaged` is judged conservatively (from /cluster/resources' `hastate` when it is there,
   * otherwise as managed), and this says why.
   */
  haUnknown?: { code: string; reason: string };
}

export interface PowerActionInput {
  node: string;
  vmid: number;
  kind: GuestKind;
  action: PowerAction;
  /** Workflow time (ms) before the action was first scheduled: no earlier task can be ours. */
  notBeforeMs: number;
}

export interface AdoptionCriteria {
  node: string;
  vmid: number;
  kind: GuestKind;
  action: PowerAction;
  notBeforeMs: number;
  /** `user@realm!tokenid` of our client. */
  apiUser: string;
}

/** Task types a power action can leave behind: the qm/vz one, or hastart/hastop for HA guests. */
export function candidateTaskTypes(kind: GuestKind, action: PowerAction): string[] {
  const ha = haPowerTaskType(action);
  return ha ? [powerTaskType(kind, action), ha] : [powerTaskType(kind, action)];
}

/** PVE's `since` is in whole seconds; one second of slack covers rounding and small clock skew. */
export function adoptionSince(notBeforeMs: number): number {
  return Math.floor(notBeforeMs / 1000) - 1;
}

/**
 * Pure choice of the task a previous attempt started, if any: right node, guest, type and
 * user, not older than the action. The earliest one wins: it is the call that got through.
 */
export function pickAdoptableTask(
  tasks: readonly PveTaskListEntry[],
  c: AdoptionCriteria,
): PveTaskListEntry | undefined {
  const types = candidateTaskTypes(c.kind, c.action);
  const since = adoptionSince(c.notBeforeMs);
  return tasks
    .filter(
      (t) =>
        t.node === c.node &&
        t.id === String(c.vmid) &&
        types.includes(t.type) &&
        t.user === c.apiUser &&
        t.starttime >= since,
    )
    .sort((a, b) => a.starttime - b.starttime || (a.upid < b.upid ? -1 : 1))[0];
}

/** Asks PVE for the tasks a previous attempt may have started and picks ours. */
export async function findAdoptableTask(
  pve: Pick<ProxmoxClient, 'listTasks' | 'apiUser'>,
  input: Omit<AdoptionCriteria, 'apiUser'>,
  signal?: AbortSignal,
): Promise<PveTaskListEntry | undefined> {
  const found: PveTaskListEntry[] = [];
  for (const typefilter of candidateTaskTypes(input.kind, input.action)) {
    // source=all: a task still running is not in the archive index yet.
    const tasks = await pve.listTasks(
      input.node,
      { vmid: input.vmid, typefilter, since: adoptionSince(input.notBeforeMs), source: 'all', limit: 50 },
      signal ? { signal } : undefined,
    );
    found.push(...tasks);
  }
  return pickAdoptableTask(found, { ...input, apiUser: pve.apiUser });
}

/**
 * Answers in which Proxmox refused a power action before starting any task. Not ALREADY_RUNNING or
 * NOT_RUNNING: the guest is then already where the wish puts it.
 */
const REFUSED_OUTRIGHT: ReadonlySet<string> = new Set([
  'PERMISSION',
  'AUTH',
  'NOT_IMPLEMENTED',
  'BAD_REQUEST',
  'LOCKED',
  'NOT_FOUND',
  'NO_QUORUM',
]);

/** A ProxmoxError leaves the activity as an ApplicationFailure typed by its code. */
export function toApplicationFailure(err: unknown): unknown {
  if (!isProxmoxError(err)) return err;
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    nonRetryable: !err.retryable,
    ...(err.status === undefined ? {} : { details: [{ status: err.status }] }),
  });
}

function assertGuestStatus(status: unknown): GuestStatus {
  if (status === 'running' || status === 'stopped' || status === 'paused') return status;
  throw new ProxmoxError('BAD_REQUEST', "expected guest state must be 'running', 'stopped' or 'paused'");
}

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toApplicationFailure(err);
  }
}

export interface ProxmoxActivityDeps {
  pve: ProxmoxClient;
  /**
   * Where every power action records the guest's desired state before its Proxmox call, and
   * (with `list`) where a guest's status read finds what the operator wants it to be.
   */
  desired: Pick<DesiredStateStore, 'record'> & Partial<Pick<DesiredStateStore, 'list' | 'withdraw'>>;
  /**
   * The cluster's task list as a source of wishes: a guest status read that finds the guest
   * stopped first records any stop made in Proxmox's own UI, so it is not judged a crash.
   */
  tasks?: Pick<ClusterTaskWatch, 'sync'>;
  /**
   * The last line of defence: every change is judged against Jarvis's own policy right before it
   * is sent, and a protected target is refused. The worker always passes it.
   */
  guard?: Pick<ChangeGuard, 'assertAllowed'>;
  /** Task and guest polling interval; the default 1000 ms matches the PVE web UI. */
  pollMs?: number;
  /** The first polls come sooner and back off to pollMs (see PollOptions.firstPollMs). */
  firstPollMs?: number;
  /** Used when a call gives no timeout. */
  defaultTaskTimeoutMs?: number;
  defaultVerifyTimeoutMs?: number;
}

export function createProxmoxActivities({
  pve,
  desired,
  tasks,
  guard,
  pollMs = 1000,
  firstPollMs = 50,
  defaultTaskTimeoutMs = 10 * 60_000,
  defaultVerifyTimeoutMs = 2 * 60_000,
}: ProxmoxActivityDeps) {
  const heartbeat = (details: unknown): void => Context.current().heartbeat(details);
  const locate = async (vmid: number): Promise<string | undefined> =>
    (await pve.clusterResources('vm')).guests.find((g) => g.vmid === vmid)?.node;

  /**
   * A guest missing from /cluster/resources: gone, or hidden from a token without VM.Audit (PVE
   * filters lists silently). Its status read tells which: 403 for a hidden guest, "does not exist"
   * for one that is not there.
   */
  async function missingGuest(node: string, vmid: number, signal: AbortSignal): Promise<ProxmoxError> {
    let absent = 0;
    for (const kind of ['qemu', 'lxc'] as const) {
      try {
        await pve.guestStatus(node, vmid, kind, { signal });
      } catch (err) {
        if (isProxmoxError(err) && err.code === 'PERMISSION') {
          return new ProxmoxError(
            'PERMISSION',
            `guest ${vmid} is not visible to the Jarvis API token (${err.message}): it may exist, but the token may not see it`,
            { ...(err.status !== undefined ? { status: err.status } : {}), ...(err.path ? { path: err.path } : {}) },
          );
        }
        if (isProxmoxError(err) && err.code === 'NOT_FOUND') {
          absent++;
          continue;
        }
        // Anything else (unreachable node, upstream trouble) leaves "not found" as the best answer.
        break;
      }
    }
    // Both reads passed the permission check and found no config: the guest is not there.
    if (absent === 2) return new ProxmoxError('NOT_FOUND', `guest ${vmid} does not exist on node ${node}`);
    return new ProxmoxError(
      'NOT_FOUND',
      `guest ${vmid} does not exist (or the Jarvis API token may not see it: listing needs VM.Audit on /vms/${vmid})`,
    );
  }

  async function describeGuest(input: { node: string; vmid: number }): Promise<GuestDescription> {
    return mapped(async () => {
      const node = assertNodeName(input.node);
      const vmid = assertVmid(input.vmid);
      const signal = Context.current().cancellationSignal;
      // Fresh on purpose: this feeds a decision, so the dashboard cache is not good enough.
      // A refused HA read (Sys.Audit on /) makes the HA state unknown; it fails nothing.
      const [{ guests }, ha] = await Promise.all([
        pve.clusterResources('vm', { signal }),
        pve.haResources({ signal }).catch((err: unknown) => {
          if (isRefusal(err)) return err as ProxmoxError;
          throw err;
        }),
      ]);
      const guest = guests.find((g) => g.vmid === vmid);
      if (!guest) throw await missingGuest(node, vmid, signal);
      if (guest.node !== node)
        throw new ProxmoxError('NOT_FOUND', `guest ${vmid} is on node ${guest.node}, not ${node}`);
      const resource = Array.isArray(ha)
        ? ha.find((r) => r.vmid === vmid && r.type === (guest.type === 'qemu' ? 'vm' : 'ct'))
        : undefined;
      // HA state `ignored` means the HA stack leaves the guest alone: it behaves as unmanaged.
      // Unknown (the HA read refused, no `hastate` to go by) is judged as managed: the safer tier.
      const haManaged = Array.isArray(ha)
        ? resource !== undefined && resource.state !== 'ignored'
        : guest.hastate !== 'ignored';
      const description: GuestDescription = {
        vmid,
        node: guest.node,
        kind: guest.type,
        name: guest.name,
        status: guest.status,
        template: guest.template,
        tags: guest.tags,
        haManaged,
      };
      if (guest.lock !== undefined) description.lock = guest.lock;
      const haState = guest.hastate ?? resource?.state;
      if (haState !== undefined) description.haState = haState;
      if (!Array.isArray(ha)) {
        description.haUnknown = {
          code: ha.code,
          reason:
            guest.hastate !== undefined
              ? `Proxmox refused the HA read (${ha.message}); HA state '${guest.hastate}' taken from /cluster/resources`
              : `Proxmox refused the HA read (${ha.message}); HA state unknown, judged as HA-managed`,
        };
      }
      return description;
    });
  }

  async function issuePowerAction(input: PowerActionInput): Promise<{ upid: string; adopted: boolean }> {
    return mapped(async () => {
      const ctx = Context.current();
      const request = {
        node: assertNodeName(input.node),
        vmid: assertVmid(input.vmid),
        kind: assertGuestKind(input.kind),
        action: assertPowerAction(input.action),
        notBeforeMs: input.notBeforeMs,
      };
      await guard?.assertAllowed(`guest.${request.action}`, { node: request.node, vmid: request.vmid });
      // The wish is committed before Proxmox hears of it (on a retry too), so no cache lag can
      // make the guest's new state look like a crash. A failed write fails the attempt: no call.
      const wish = desiredAfterAction(request.action);
      const intent = {
        vmid: request.vmid,
        source: ctx.info.workflowExecution?.workflowId ?? `activity:${ctx.info.activityId}`,
        setAt: new Date().toISOString(),
      };
      if (wish) await desired.record({ ...intent, node: request.node, desired: wish });
      // A power action is not idempotent (a second stop after a start in between is a new stop).
      // A retry cannot know whether the lost attempt reached PVE, so it looks before it acts.
      if (ctx.info.attempt > 1) {
        const previous = await findAdoptableTask(pve, request, ctx.cancellationSignal);
        if (previous) return { upid: previous.upid, adopted: true };
      }
      let upid: string;
      try {
        upid = await pve.powerAction(
          request.node,
          request.vmid,
          request.kind,
          request.action,
          {},
          {
            signal: ctx.cancellationSignal,
          },
        );
      } catch (err) {
        // Refused outright (no privilege, locked, no quorum...): no task started, the wish goes.
        // Anything that may have reached Proxmox (a timeout, a lost answer) keeps it.
        if (wish && isProxmoxError(err) && REFUSED_OUTRIGHT.has(err.code)) await desired.withdraw?.(intent);
        throw err;
      }
      return { upid, adopted: false };
    });
  }

  async function waitForTask(input: { node: string; upid: string; timeoutMs?: number }): Promise<TaskOutcome> {
    return mapped(async () => {
      let polls = 0;
      // A failed task is an outcome, not an exception: the workflow records exitstatus and log.
      return pollTask(pve, assertNodeName(input.node), input.upid, {
        pollMs,
        firstPollMs,
        timeoutMs: input.timeoutMs ?? defaultTaskTimeoutMs,
        signal: Context.current().cancellationSignal,
        onPoll: (s) => heartbeat({ upid: input.upid, status: s.status, polls: ++polls }),
      });
    });
  }

  async function verifyGuestState(input: {
    node: string;
    vmid: number;
    kind: GuestKind;
    expected: GuestStatus;
    timeoutMs?: number;
  }): Promise<{ status: GuestStatus; verified: boolean; observedAt: string }> {
    return mapped(async () => {
      let polls = 0;
      const outcome = await confirmGuestState(
        pve,
        assertNodeName(input.node),
        assertVmid(input.vmid),
        assertGuestKind(input.kind),
        assertGuestStatus(input.expected),
        {
          pollMs,
          firstPollMs,
          timeoutMs: input.timeoutMs ?? defaultVerifyTimeoutMs,
          signal: Context.current().cancellationSignal,
          onPoll: (s) => heartbeat({ vmid: input.vmid, status: s.status, polls: ++polls }),
          locate,
        },
      );
      return { status: outcome.status, verified: outcome.verified, observedAt: outcome.observedAt };
    });
  }

  /**
   * Follows a power task to its end and, when it succeeded, confirms the guest really reached
   * the expected state. One activity for both keeps a GREEN action to two activity round trips
   * (issue, follow); each half heartbeats, so a dead worker is noticed within the heartbeat timeout.
   */
  async function followPowerTask(input: {
    node: string;
    vmid: number;
    kind: GuestKind;
    upid: string;
    expected: GuestStatus;
    taskTimeoutMs?: number;
    verifyTimeoutMs?: number;
  }): Promise<{ task: TaskOutcome; verification?: { status: GuestStatus; verified: boolean; observedAt: string } }> {
    const task = await waitForTask({
      node: input.node,
      upid: input.upid,
      ...(input.taskTimeoutMs !== undefined ? { timeoutMs: input.taskTimeoutMs } : {}),
    });
    if (!task.ok) return { task };
    const verification = await verifyGuestState({
      node: input.node,
      vmid: input.vmid,
      kind: input.kind,
      expected: input.expected,
      ...(input.verifyTimeoutMs !== undefined ? { timeoutMs: input.verifyTimeoutMs } : {}),
    });
    return { task, verification };
  }

  /** A disk snapshot of a VM before a risky step, so that the step can be undone. Returns the task's UPID. */
  async function issueSnapshot(input: {
    node: string;
    vmid: number;
    name: string;
    description?: string;
  }): Promise<{ upid: string }> {
    await guard?.assertAllowed('guest.snapshot', { node: input.node, vmid: input.vmid, name: input.name });
    return mapped(async () => ({
      upid: await pve.createSnapshot(input.node, input.vmid, input.name, input.description, {
        signal: Context.current().cancellationSignal,
      }),
    }));
  }

  /** Rolls a VM back to a snapshot (RED: only after an operator's approval). Returns the task's UPID. */
  async function issueRollback(input: { node: string; vmid: number; name: string }): Promise<{ upid: string }> {
    await guard?.assertAllowed('guest.rollback', { node: input.node, vmid: input.vmid, snapshot: input.name });
    return mapped(async () => ({
      upid: await pve.rollbackSnapshot(input.node, input.vmid, input.name, {
        signal: Context.current().cancellationSignal,
      }),
    }));
  }

  /**
   * The node.wake tool. PVE sends the magic packet from the node whose API receives the request,
   * and that node may not be the target: `via` names another (online) node, whose own endpoint
   * gets the request. Without `via`, the endpoint in use sends it. Returns the MAC woken.
   */
  /** Members with whether their own endpoint is usable now (a wake relay must be reachable). */
  function withReachability(
    members: readonly { name: string; online: boolean }[],
  ): { name: string; online: boolean; reachable: boolean }[] {
    const usable = new Set(
      pve
        .endpoints()
        .filter((e) => e.state === 'active' || e.state === 'healthy')
        .map((e) => e.node),
    );
    return members.map((m) => ({ name: m.name, online: m.online, reachable: usable.has(m.name) }));
  }

  async function wakeNode(input: { node: string; via?: string }): Promise<{ node: string; mac: string; via?: string }> {
    return mapped(async () => {
      const node = assertNodeName(input.node);
      const via = input.via === undefined ? undefined : assertNodeName(input.via);
      if (via === node) throw new ProxmoxError('BAD_REQUEST', `${node} cannot wake itself: name another node`);
      await guard?.assertAllowed('node.wake', { node });
      const signal = Context.current().cancellationSignal;
      if (via !== undefined) {
        const mac = await pve.wakeOnLan(node, { signal, endpointNode: via });
        return { node, mac, via };
      }
      // No relay named (the chat's node.wake, a runbook from before relays): the packet still goes
      // from another online node's own endpoint, since the node Jarvis talks to may be the target.
      const status = await pve.clusterStatus({ signal });
      const members = withReachability(status.members);
      const tried: string[] = [];
      let lastError: unknown;
      for (;;) {
        const choice = chooseWakeRelay({ target: node, quorate: status.quorum.quorate, members, tried });
        if (choice.kind === 'none') break;
        try {
          const mac = await pve.wakeOnLan(node, { signal, endpointNode: choice.node });
          return { node, mac, via: choice.node };
        } catch (err) {
          if (!isProxmoxError(err) || err.code !== 'NODE_UNREACHABLE') throw err;
          lastError = err;
          tried.push(choice.node);
        }
      }
      if (lastError === undefined)
        throw new ProxmoxError(
          'NODE_UNREACHABLE',
          `no other node is online to send the wake-on-LAN packet for ${node}`,
        );
      // No other node's own endpoint could be used (not discovered or not trusted): the endpoint in
      // use, which Proxmox refuses plainly if it is the target's own.
      const mac = await pve.wakeOnLan(node, { signal });
      return { node, mac };
    });
  }

  /** The cluster's membership (`/cluster/status`): which nodes are online, and whether it is quorate. */
  async function clusterMembers(_input: Record<string, never> = {}): Promise<{
    quorate: boolean;
    members: { name: string; online: boolean; reachable?: boolean }[];
  }> {
    return mapped(async () => {
      const status = await pve.clusterStatus({ signal: Context.current().cancellationSignal });
      return { quorate: status.quorum.quorate, members: withReachability(status.members) };
    });
  }

  /**
   * The identity of the cluster in front of Jarvis (clusterIdentityOf), or none when it cannot be
   * read now. Never fails: an unknown identity only makes the guardian count every attempt.
   */
  async function clusterIdentity(_input: Record<string, never> = {}): Promise<{ identity?: string }> {
    try {
      const signal = Context.current().cancellationSignal;
      const [status, nodes] = await Promise.all([pve.clusterStatus({ signal }), pve.nodes({ signal })]);
      const identity = clusterIdentityOf(status, nodes);
      return identity === undefined ? {} : { identity };
    } catch {
      return {};
    }
  }

  const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  /**
   * Watches a guest that was just verified running for `windowMs`: `stable` only if every look
   * (live status, not the cluster cache) saw it running. The first look that does not ends the
   * watch at once, so a flapping guest is caught as soon as it falls over.
   */
  async function watchGuestStability(input: {
    node: string;
    vmid: number;
    kind: GuestKind;
    windowMs: number;
    everyMs?: number;
  }): Promise<{ stable: boolean; status: GuestStatus; checks: number; observedAt: string }> {
    return mapped(async () => {
      const ctx = Context.current();
      const node = assertNodeName(input.node);
      const vmid = assertVmid(input.vmid);
      const kind = assertGuestKind(input.kind);
      const every = Math.max(50, input.everyMs ?? Math.min(pollMs, Math.max(100, input.windowMs / 10)));
      const until = Date.now() + Math.max(0, input.windowMs);
      let checks = 0;
      for (;;) {
        const current = await pve.guestStatus(node, vmid, kind, { signal: ctx.cancellationSignal });
        checks++;
        const observedAt = new Date().toISOString();
        ctx.heartbeat({ vmid, status: current.status, checks });
        if (current.status !== 'running') return { stable: false, status: current.status, checks, observedAt };
        if (Date.now() >= until) return { stable: true, status: current.status, checks, observedAt };
        await sleep(Math.min(every, Math.max(0, until - Date.now())), ctx.cancellationSignal);
        if (ctx.cancellationSignal.aborted) throw new ProxmoxError('TIMEOUT', 'the stability watch was cancelled');
      }
    });
  }

  /** A guest's live status (status/current, not the cluster cache): for re-checking an incident before acting. */
  async function readGuestStatus(input: {
    node: string;
    vmid: number;
    kind: GuestKind;
  }): Promise<{ status: GuestStatus; desired?: GuestDesiredState }> {
    return mapped(async () => {
      const signal = Context.current().cancellationSignal;
      const current = await pve.guestStatus(
        assertNodeName(input.node),
        assertVmid(input.vmid),
        assertGuestKind(input.kind),
        { signal },
      );
      // Stopped: was it someone's wish? Read the task list now rather than when it is next due.
      if (current.status === 'stopped' && tasks) await tasks.sync(true, signal);
      const wishes = desired.list ? await desired.list() : [];
      const wish = wishes.find((w) => w.vmid === input.vmid);
      return {
        status: current.status,
        ...(wish ? { desired: { vmid: wish.vmid, desired: wish.desired, setAt: Date.parse(wish.setAt) } } : {}),
      };
    });
  }

  /** Polls until the node answers its own status call (it is back in the cluster), or the timeout passes. */
  async function waitNodeOnline(input: {
    node: string;
    timeoutMs: number;
  }): Promise<{ online: boolean; observedAt: string; uptime?: number }> {
    return mapped(async () => {
      const ctx = Context.current();
      const node = assertNodeName(input.node);
      const until = Date.now() + Math.max(0, input.timeoutMs);
      let polls = 0;
      for (;;) {
        try {
          const status = await pve.nodeStatus(node, { signal: ctx.cancellationSignal });
          return { online: true, observedAt: new Date().toISOString(), uptime: status.uptime };
        } catch (err) {
          if (!isProxmoxError(err) || !err.retryable) throw err;
        }
        ctx.heartbeat({ node, polls: ++polls });
        if (Date.now() >= until) return { online: false, observedAt: new Date().toISOString() };
        await sleep(Math.min(pollMs, Math.max(0, until - Date.now())), ctx.cancellationSignal);
        if (ctx.cancellationSignal.aborted) throw new ProxmoxError('TIMEOUT', 'the wait was cancelled');
      }
    });
  }

  return {
    describeGuest,
    issuePowerAction,
    waitForTask,
    verifyGuestState,
    followPowerTask,
    wakeNode,
    clusterMembers,
    clusterIdentity,
    issueSnapshot,
    issueRollback,
    readGuestStatus,
    watchGuestStability,
    waitNodeOnline,
  };
}

export type ProxmoxActivities = ReturnType<typeof createProxmoxActivities>;
