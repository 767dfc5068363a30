import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '@jarvis/activities';
import { detectIncidents, type ClusterSnapshot, type Incident, type WatchedService } from '@jarvis/policies';
import { type GuardianActivities } from './guardian.activities';
import { INCIDENT_TIER, monitorStatusQuery, type MonitorInput, type MonitorIntervals } from './monitor.messages';

type Acts = activities.RemediationActivities & activities.DbActivities;
type Step = activities.WorkflowStep;

const local = proxyLocalActivities<Acts>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 3 },
});
/** The service check bounds each `systemctl is-active` itself and never throws for a node; one attempt. */
const serviceCheck = proxyLocalActivities<Acts>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 1 },
});
const guardian = proxyActivities<GuardianActivities>({
  startToCloseTimeout: '5s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 10 },
});

const TIERS: readonly (keyof MonitorIntervals)[] = ['criticalMs', 'importantMs', 'routineMs', 'backgroundMs'];

/**
 * Watches one cluster: every critical interval it reads the shared cluster cache, turns the change
 * since the last look into incidents (the pure incident policy), and starts one remediation per
 * incident, whose workflow ID is the incident key, so a second detection cannot start a second
 * remediation. Slower tiers (memory, disk, the heartbeat) run when their interval is due. It
 * continues as new every so many polls, carrying the last observation.
 */
export async function monitorWorkflow(input: MonitorInput): Promise<never> {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  // Unique per monitor chain: a monitor started again under the same ID must not collide with old steps.
  const chain = firstExecutionRunId.replace(/-/g, '').slice(-12);
  const carry = input.carry;
  let previous: ClusterSnapshot | undefined = carry?.previous;
  const lastRun: Partial<Record<keyof MonitorIntervals, number>> = { ...carry?.lastRun };
  let polls = carry?.polls ?? 0;
  let stepSeq = carry?.stepSeq ?? 0;
  let failing = carry?.failing ?? false;
  // Reads Proxmox refuses (a least-privilege token) are said once each time they change.
  const reportsPartial = patched('monitor-reports-partial');
  let partial = carry?.partial;
  const started: string[] = [];
  const every = input.continueAsNewEvery ?? 200;
  let pollsThisRun = 0;
  // Cleared when this worker has no SSH: service checks are then skipped, quietly, for the rest of this run.
  let checkServices = input.watchedServices !== undefined && Object.keys(input.watchedServices).length > 0;

  setHandler(monitorStatusQuery, () => ({
    polls,
    ...(previous?.observedAt !== undefined ? { lastObservedAt: previous.observedAt } : {}),
    started: [...started],
    failing,
  }));

  const steps: Step[] = [];
  const step = (kind: string, title: string, detail?: Record<string, unknown>, node?: string): void => {
    steps.push({
      key: `${chain}-step-${++stepSeq}`,
      kind,
      title,
      at: new Date(Date.now()).toISOString(),
      ...(node ? { node } : {}),
      ...(detail ? { detail } : {}),
    });
  };

  for (;;) {
    const now = Date.now();
    const due = new Set(TIERS.filter((t) => t === 'criticalMs' || now - (lastRun[t] ?? 0) >= input.intervals[t]));
    for (const t of due) lastRun[t] = now;
    polls++;
    pollsThisRun++;

    const slack = input.explainSlackMs ?? 60_000;
    let observation: Awaited<ReturnType<Acts['observeCluster']>> | undefined;
    try {
      observation = await local.observeCluster({
        explainSinceMs: (previous?.observedAt ?? now) - slack,
        ...(previous?.observedAt !== undefined ? { lastSeenAt: previous.observedAt } : {}),
      });
      if (failing) step('monitor-recovered', 'Monitor: the cluster can be read again');
      failing = false;
    } catch (err) {
      if (!failing) {
        step('monitor-error', `Monitor: the cluster could not be read (${(err as Error).message.slice(0, 200)})`);
      }
      failing = true;
    }

    if (reportsPartial && observation && !observation.stale) {
      const refused = (observation.unavailable ?? []).map((u) => `${u.read}: ${u.reason}`).join('; ');
      if (refused !== (partial ?? '')) {
        if (refused)
          step('monitor-partial', `Monitor: reading the cluster partially; Proxmox refused ${refused}`, {
            unavailable: observation.unavailable,
          });
        else step('monitor-complete', 'Monitor: the whole cluster can be read again');
        partial = refused || undefined;
      }
    }

    if (observation && !observation.stale) {
      const current = observation.snapshot;
      const watchedServices = due.has(INCIDENT_TIER['service-down']) ? await readServices(current) : undefined;
      const incidents = detectIncidents({
        previous: previous ?? {},
        current,
        // Desired states judge guests' stops; explainedStops is only in observations recorded before them.
        explainedStops: observation.explainedStops ?? [],
        ...(observation.desired ? { desired: observation.desired } : {}),
        ...(watchedServices ? { watchedServices } : {}),
        ...(input.thresholds ? { thresholds: input.thresholds } : {}),
      }).filter((i) => due.has(INCIDENT_TIER[i.class]));
      await Promise.all(incidents.map((incident) => startRemediation(incident)));
      if (due.has('backgroundMs')) report(current);
      previous = current;
    }

    if (steps.length > 0) await local.recordSteps({ steps: steps.splice(0) });

    if (pollsThisRun >= every || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof monitorWorkflow>({
        ...input,
        carry: { ...(previous ? { previous } : {}), lastRun, polls, stepSeq, failing, ...(partial ? { partial } : {}) },
      });
    }
    await sleep(input.intervals.criticalMs);
  }

  /** The watched services on the online nodes, over SSH; undefined when not configured or not readable. */
  async function readServices(current: ClusterSnapshot): Promise<WatchedService[] | undefined> {
    if (!checkServices || !input.watchedServices) return undefined;
    const nodes = (current.nodes ?? []).filter((n) => n.status === 'online').map((n) => n.name);
    if (nodes.length === 0) return undefined;
    try {
      const report = await serviceCheck.checkWatchedServices({ watch: input.watchedServices, nodes });
      if (!report.configured) checkServices = false;
      return report.configured ? report.services : undefined;
    } catch {
      // No evidence this round; the next important interval asks again.
      return undefined;
    }
  }

  async function startRemediation(incident: Incident): Promise<void> {
    const { started: isNew } = await guardian.startRemediation({
      remediation: {
        cluster: input.cluster,
        guardianId: input.guardianId,
        incident,
        detectedAt: new Date(Date.now()).toISOString(),
        settings: input.remediation,
        ...(input.policy ? { policy: input.policy } : {}),
        ...(input.twoPersonRule !== undefined ? { twoPersonRule: input.twoPersonRule } : {}),
      },
    });
    if (isNew) {
      started.push(incident.key);
      if (started.length > 50) started.shift();
    }
  }

  /** The heartbeat and the storage capacity report, into the feed. */
  function report(current: ClusterSnapshot): void {
    const nodes = current.nodes ?? [];
    const guests = current.guests ?? [];
    const online = nodes.filter((n) => n.status === 'online').length;
    const running = guests.filter((g) => g.status === 'running').length;
    step('heartbeat', `Monitor: ${online}/${nodes.length} nodes online, ${running} guests running`, {
      online,
      nodes: nodes.length,
      running,
      guests: guests.length,
      quorate: current.quorum?.quorate ?? null,
      polls,
      workflowId,
    });
    const above = input.capacityReportAbove ?? 0.8;
    const seen = new Set<string>();
    for (const s of current.storage ?? []) {
      const id = s.shared ? s.storage : `${s.node}/${s.storage}`;
      if (seen.has(id) || !(s.usedFraction > above)) continue;
      seen.add(id);
      step(
        'capacity',
        `Storage ${id} is ${Math.round(s.usedFraction * 100)}% full`,
        {
          node: s.node,
          storage: s.storage,
          shared: s.shared,
          usedFraction: s.usedFraction,
          used: s.used,
          total: s.total,
        },
        s.node,
      );
    }
  }
}
