import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { type IncidentsRepository, type IncidentView } from '@jarvis/db';
import { type ClusterSnapshot as PolicySnapshot, type ExplainedStop } from '@jarvis/policies';
import { type ClusterState } from '../proxmox/normalize';
import { isProxmoxError } from '../proxmox/proxmox.errors';
import { toPolicySnapshot } from './cluster-view';

/** What an observation needs: the worker's shared ClusterSnapshot cache (no extra upstream calls). */
export interface ClusterSource {
  get(): Promise<ClusterState>;
}

/** The part of the SSH layer a service restart uses; activities/src/ssh's SshRunner fits it. */
export interface ServiceRestarter {
  exec(
    node: string,
    command: string,
    opts?: { timeoutMs?: number; signal?: AbortSignal; allowYellow?: boolean },
  ): Promise<{ readonly exitCode: number | null; readonly stdout: string; readonly argv: readonly string[] }>;
}

export interface Observation {
  readonly snapshot: PolicySnapshot;
  readonly stale: boolean;
  readonly explainedStops: ExplainedStop[];
}

export interface RemediationActivityDeps {
  readonly cluster: ClusterSource;
  readonly incidents: IncidentsRepository;
  /** Absent when SSH is not configured: a service restart then fails with SSH_NOT_CONFIGURED. */
  readonly ssh?: ServiceRestarter;
}

/** Activities of the monitor and the remediations: reading the cache, the incident projection, and service restarts. */
export function createRemediationActivities({ cluster, incidents, ssh }: RemediationActivityDeps) {
  return {
    /**
     * The cluster from the shared cache, in the incident policy's shape, with the operator stops
     * since `explainSinceMs` (a stop an operator asked for is not a crash).
     */
    async observeCluster(input: { explainSinceMs?: number }): Promise<Observation> {
      let state: ClusterState;
      try {
        state = await cluster.get();
      } catch (err) {
        throw ApplicationFailure.create({
          type: isProxmoxError(err) ? err.code : 'UPSTREAM',
          message: `the cluster could not be read: ${(err as Error).message}`,
        });
      }
      const since = input.explainSinceMs ?? Date.now() - 10 * 60_000;
      const stops = await incidents.operatorStops(new Date(since).toISOString());
      return {
        snapshot: toPolicySnapshot(state),
        stale: state.stale,
        explainedStops: stops.map((s) => ({ vmid: s.vmid, since: s.since, by: 'operator' })),
      };
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
      if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/.test(input.service)) {
        throw ApplicationFailure.nonRetryable('invalid service name', 'BAD_REQUEST');
      }
      try {
        const result = await ssh.exec(input.node, `systemctl restart ${input.service}`, {
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
      const result = await ssh.exec(input.node, `systemctl is-active ${input.service}`, {
        signal: Context.current().cancellationSignal,
      });
      return { active: result.exitCode === 0 && result.stdout.trim() === 'active' };
    },
  };
}

export type RemediationActivities = ReturnType<typeof createRemediationActivities>;
