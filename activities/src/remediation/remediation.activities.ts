import { type ChangeGuard } from '../policy/change-guard';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { type IncidentsRepository, type IncidentView } from '@jarvis/db';
import {
  isServiceUnit,
  sshToolCommand,
  type ClusterSnapshot as PolicySnapshot,
  type ExplainedStop,
  type GuestDesiredState,
  type WatchedService,
} from '@jarvis/policies';
import { type ClusterTaskWatch, type DesiredStateStore } from '../proxmox/desired-state';
import { type ClusterState } from '../proxmox/normalize';
import { isProxmoxError } from '../proxmox/proxmox.errors';
import { toPolicySnapshot } from './cluster-view';

/** What an observation needs: the worker's shared ClusterSnapshot cache (no extra upstream calls). */
export interface ClusterSource {
  get(): Promise<ClusterState>;
}

/** The part of the SSH layer a service restart uses; activities/src/ssh's SshRunner fits it. */
export interface ServiceRestarter {
  /** The nodes it can reach; a node not listed is not checked. */
  readonly nodes?: readonly string[];
  exec(
    node: string,
    command: string,
    opts?: { timeoutMs?: number; signal?: AbortSignal; allowYellow?: boolean },
  ): Promise<{ readonly exitCode: number | null; readonly stdout: string; readonly argv: readonly string[] }>;
}

export interface Observation {
  readonly snapshot: PolicySnapshot;
  readonly stale: boolean;
  /** Every guest's desired state (what the operator last asked for), for the incident policy. */
  readonly desired?: GuestDesiredState[];
  /**
   * Stops explained by operator actions in a time window: what observations returned before
   * desired states existed. Still read from recorded monitor histories; no longer produced.
   */
  readonly explainedStops?: ExplainedStop[];
  /** Reads Proxmox refused to the token: the snapshot is partial, and this says what is missing and why. */
  readonly unavailable?: { readonly read: string; readonly reason: string; readonly unknown: string }[];
}

/** What the monitor's service check returns: `configured: false` when there is no SSH to check with. */
export interface WatchedServicesReport {
  readonly configured: boolean;
  readonly services: WatchedService[];
}

/** `systemctl is-active` → the incident policy's state. Transitions are neither up nor down yet. */
function serviceState(exitCode: number | null, stdout: string): WatchedService['state'] {
  const word = stdout.trim();
  if (exitCode === 0 && (word === 'active' || word === 'reloading')) return 'up';
  if (exitCode === 3 && (word === 'inactive' || word === 'failed')) return 'down';
  return 'unknown';
}

/** One check's bound; the monitor's local activity must end well inside its own timeout. */
const SERVICE_CHECK_TIMEOUT_MS = 5_000;

export interface RemediationActivityDeps {
  readonly cluster: ClusterSource;
  readonly incidents: IncidentsRepository;
  /** The guests' desired states, used up and read by each observation. */
  readonly desired: DesiredStateStore;
  /** Power actions made outside Jarvis, from Proxmox's task list. */
  readonly tasks: Pick<ClusterTaskWatch, 'sync' | 'visibility'>;
  /**
   * A `stopped` wish whose guest was never seen stopped but is still running this long after is
   * used up (the stop failed, or the cluster was reset). Default 10 min.
   */
  readonly staleStopAfterMs?: number;
  /** Absent when SSH is not configured: a service restart then fails with SSH_NOT_CONFIGURED. */
  readonly ssh?: ServiceRestarter;
  /** The last line of defence before a service restart (see ProxmoxActivityDeps.guard). */
  readonly guard?: Pick<ChangeGuard, 'assertAllowed'>;
}

/** Activities of the monitor and the remediations: reading the cache, the incident projection, and service restarts. */
export function createRemediationActivities({
  cluster,
  incidents,
  desired,
  tasks,
  staleStopAfterMs = 10 * 60_000,
  ssh,
  guard,
}: RemediationActivityDeps) {
  /** Each guest's status at this worker's last look, to know when a stop needs the task list now. */
  let lastStatuses: Map<number, string> | undefined;

  return {
    /**
     * The cluster from the shared cache, in the incident policy's shape, with every guest's
     * desired state. Before judging, the wishes are brought up to date: power tasks made outside
     * Jarvis are read from the cluster's task list (at once when a guest seen running is now
     * stopped, else at a modest cadence), and `stopped` wishes whose guest runs again are used up.
     * The input is the monitor's, kept for its recorded histories; nothing here needs it now.
     */
    async observeCluster(_input: { explainSinceMs?: number; lastSeenAt?: number }): Promise<Observation> {
      let state: ClusterState;
      try {
        state = await cluster.get();
      } catch (err) {
        throw ApplicationFailure.create({
          type: isProxmoxError(err) ? err.code : 'UPSTREAM',
          message: `the cluster could not be read: ${(err as Error).message}`,
        });
      }
      const snapshot = toPolicySnapshot(state);
      if (state.stale) return { snapshot, stale: true };
      const guests = state.guests.filter((g) => !g.template);
      // Checked now and then (cached): whether the task list below can show other users' stops.
      await tasks.visibility(Context.current().cancellationSignal);
      // A stop right after a look that saw the guest running may be another user's, made in
      // Proxmox's UI: the task list is read now, before that stop is judged.
      const force =
        lastStatuses === undefined ||
        guests.some((g) => g.status === 'stopped' && lastStatuses?.get(g.vmid) === 'running');
      try {
        await tasks.sync(force, Context.current().cancellationSignal);
      } catch (err) {
        // Without the task list a stop cannot be told from a crash: no verdict this round.
        if (force) {
          throw ApplicationFailure.create({
            type: isProxmoxError(err) ? err.code : 'UPSTREAM',
            message: `the cluster's task list could not be read: ${(err as Error).message}`,
          });
        }
      }
      lastStatuses = new Map(guests.map((g) => [g.vmid, g.status]));
      const observedAt = new Date(snapshot.observedAt ?? Date.now()).toISOString();
      await desired.observe({
        observedAt,
        running: guests.filter((g) => g.status === 'running').map((g) => g.vmid),
        stopped: guests.filter((g) => g.status === 'stopped').map((g) => g.vmid),
        staleAfterMs: staleStopAfterMs,
      });
      const wishes = await desired.list();
      return {
        snapshot,
        stale: false,
        ...(state.unavailable?.length
          ? { unavailable: state.unavailable.map((u) => ({ read: u.read, reason: u.reason, unknown: u.unknown })) }
          : {}),
        desired: wishes.map((w) => ({
          vmid: w.vmid,
          desired: w.desired,
          setAt: Date.parse(w.setAt),
          ...(w.stoppedUntil ? { stoppedUntil: Date.parse(w.stoppedUntil) } : {}),
        })),
      };
    },

    /**
     * The monitor's watched services: `systemctl is-active <unit>` (GREEN on the allowlist) on each
     * given online node, for the units configured for that node and for `*`. Never throws for a
     * node or a unit: what cannot be read is `unknown`, which raises no incident. Without SSH the
     * answer is `configured: false` and the monitor stops asking.
     */
    async checkWatchedServices(input: {
      watch: Readonly<Record<string, readonly string[]>>;
      nodes: readonly string[];
    }): Promise<WatchedServicesReport> {
      if (!ssh) return { configured: false, services: [] };
      const reachable = ssh.nodes ? new Set(ssh.nodes) : undefined;
      const signal = Context.current().cancellationSignal;
      const perNode = await Promise.all(
        [...new Set(input.nodes)]
          .filter((node) => !reachable || reachable.has(node))
          .map(async (node) => {
            const units = [...new Set([...(input.watch['*'] ?? []), ...(input.watch[node] ?? [])])].filter(
              isServiceUnit,
            );
            const out: WatchedService[] = [];
            // One at a time per node: the pool holds one connection per node; nodes run in parallel.
            for (const name of units) {
              let state: WatchedService['state'] = 'unknown';
              try {
                const r = await ssh.exec(node, sshToolCommand('service.status', { service: name }) ?? '', {
                  timeoutMs: SERVICE_CHECK_TIMEOUT_MS,
                  signal,
                });
                state = serviceState(r.exitCode, r.stdout);
              } catch {
                // Unreachable, refused, timed out: no evidence either way.
              }
              out.push({ name, node, state });
            }
            return out;
          }),
      );
      return { configured: true, services: perNode.flat() };
    },

    async upsertIncident(view: IncidentView): Promise<void> {
      await incidents.upsert(view);
    },

    /**
     * The service.restart tool: `systemctl restart <unit>` through the SSH allowlist. Without SSH
     * the failure is non-retryable and typed, so the runbook escalates instead of retrying.
     */
    async restartService(input: {
      node: string;
      service: string;
    }): Promise<{ exitCode: number | null; argv: string[] }> {
      if (!ssh) {
        throw ApplicationFailure.nonRetryable(
          'SSH is not configured: services cannot be restarted',
          'SSH_NOT_CONFIGURED',
        );
      }
      if (!isServiceUnit(input.service)) {
        throw ApplicationFailure.nonRetryable('invalid service name', 'BAD_REQUEST');
      }
      await guard?.assertAllowed('service.restart', { node: input.node, service: input.service });
      try {
        const result = await ssh.exec(input.node, sshToolCommand('service.restart', input) ?? '', {
          allowYellow: true,
          timeoutMs: 60_000,
          signal: Context.current().cancellationSignal,
        });
        return { exitCode: result.exitCode, argv: [...result.argv] };
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        const type = typeof code === 'string' ? code : 'SSH_FAILED';
        throw ApplicationFailure.create({
          type,
          message: (err as Error).message,
          nonRetryable: type === 'NOT_ALLOWED' || type === 'UNKNOWN_NODE' || type.startsWith('HOST_KEY'),
        });
      }
    },

    /** Whether a watched service is active, for the service runbook's verification. */
    async checkService(input: { node: string; service: string }): Promise<{ active: boolean }> {
      if (!ssh) throw ApplicationFailure.nonRetryable('SSH is not configured', 'SSH_NOT_CONFIGURED');
      const result = await ssh.exec(input.node, sshToolCommand('service.status', input) ?? '', {
        signal: Context.current().cancellationSignal,
      });
      return { active: result.exitCode === 0 && result.stdout.trim() === 'active' };
    },
  };
}

export type RemediationActivities = ReturnType<typeof createRemediationActivities>;
