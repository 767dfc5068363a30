import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ClusterSnapshot, readNodeTemperatures, type ClusterState, type NodeTemperature } from '@jarvis/activities';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { SshAccess } from '../infra/ssh.providers';

/** What one node's last read said. */
export type TemperatureReading =
  | { readonly kind: 'ok'; readonly temperature: NodeTemperature; readonly at: number }
  /** The read worked and there is no CPU sensor (no lm-sensors): asked again only every NO_SENSOR_EVERY polls. */
  | { readonly kind: 'no-sensor'; readonly at: number }
  /** SSH failed; the last good value is kept for a few polls, then the node shows none. */
  | { readonly kind: 'failed'; readonly at: number; readonly last?: { temperature: NodeTemperature; at: number } };

/** A node without sensors is asked again every this many polls (5 min at the default 30 s), not every poll. */
export const NO_SENSOR_EVERY = 10;
/** A good value outlives failed reads for this many poll intervals before it is dropped. */
export const KEEP_LAST_POLLS = 3;

/**
 * The next readings from the previous ones and one poll's outcome (undefined where the node was
 * not read). Pure, so the retry and expiry rules are tested without SSH.
 */
export function mergeReadings(
  previous: ReadonlyMap<string, TemperatureReading>,
  outcome: ReadonlyMap<string, NodeTemperature | null | Error>,
  nowMs: number,
): Map<string, TemperatureReading> {
  const next = new Map(previous);
  for (const [node, result] of outcome) {
    if (result instanceof Error) {
      const before = previous.get(node);
      const last =
        before?.kind === 'ok'
          ? { temperature: before.temperature, at: before.at }
          : before?.kind === 'failed'
            ? before.last
            : undefined;
      next.set(node, { kind: 'failed', at: nowMs, ...(last ? { last } : {}) });
    } else if (result === null) next.set(node, { kind: 'no-sensor', at: nowMs });
    else next.set(node, { kind: 'ok', temperature: result, at: nowMs });
  }
  return next;
}

/** Which of `online` to read this poll: all but the sensorless nodes, which come round every NO_SENSOR_EVERY-th poll. */
export function nodesDue(
  online: readonly string[],
  readings: ReadonlyMap<string, TemperatureReading>,
  nowMs: number,
  pollMs: number,
): string[] {
  return online.filter((node) => {
    const r = readings.get(node);
    return r?.kind !== 'no-sensor' || nowMs - r.at >= NO_SENSOR_EVERY * pollMs - pollMs / 2;
  });
}

/** The temperature a node card shows: null when offline, sensorless, never read, or failing for too long. */
export function temperatureOf(
  reading: TemperatureReading | undefined,
  nowMs: number,
  pollMs: number,
): NodeTemperature | null {
  if (!reading) return null;
  if (reading.kind === 'ok') return reading.temperature;
  if (reading.kind === 'failed' && reading.last && nowMs - reading.last.at <= KEEP_LAST_POLLS * pollMs + pollMs / 2)
    return reading.last.temperature;
  return null;
}

/**
 * Node temperatures over SSH (`sensors -j`), polled on every online node in parallel and merged
 * into the cluster state the API serves (GET /api/cluster and the /live diffs). One node's SSH
 * failure touches only that node; a node without lm-sensors shows null and is not hammered.
 */
@Injectable()
export class NodeTemperatures implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Temperatures');
  private readings = new Map<string, TemperatureReading>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private stopped = false;

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly ssh: SshAccess,
    private readonly snapshot: ClusterSnapshot,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.ssh.available) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.config.temperaturePollMs);
    this.timer.unref();
  }

  /** One round; concurrent calls share the round in flight. */
  poll(): Promise<void> {
    this.polling ??= this.round().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async round(): Promise<void> {
    const runner = this.ssh.runner;
    if (!runner || this.stopped) return;
    let state: ClusterState;
    try {
      state = await this.snapshot.get();
    } catch {
      return; // PVE unreachable: no node list to trust; the cards show the cluster error instead.
    }
    const reachable = new Set(runner.nodes);
    const online = state.nodes.filter((n) => n.status === 'online' && reachable.has(n.name)).map((n) => n.name);
    const due = nodesDue(online, this.readings, Date.now(), this.config.temperaturePollMs);
    if (due.length === 0) return;
    const failures = new Map<string, Error>();
    const read = await readNodeTemperatures(runner, due, {
      onError: (node, err) => failures.set(node, err instanceof Error ? err : new Error(String(err))),
    });
    if (this.stopped) return;
    // A failed read is null in `read` as well; only onError tells it from "no sensor".
    const outcome = new Map<string, NodeTemperature | null | Error>(
      due.map((node) => [node, failures.get(node) ?? read[node] ?? null]),
    );
    for (const [node, result] of outcome) {
      const before = this.readings.get(node);
      if (result instanceof Error && before?.kind !== 'failed')
        this.logger.warn(`no temperature from ${node}: ${result.message}`);
      else if (result === null && before?.kind !== 'no-sensor')
        this.logger.log(`${node} reports no CPU temperature sensor`);
    }
    this.readings = mergeReadings(this.readings, outcome, Date.now());
  }

  /** `state` with each node's temperature filled in (null where offline or unknown). */
  apply(state: ClusterState): ClusterState {
    if (this.readings.size === 0) return state;
    const now = Date.now();
    return {
      ...state,
      nodes: state.nodes.map((n) =>
        n.status === 'online'
          ? { ...n, temperature: temperatureOf(this.readings.get(n.name), now, this.config.temperaturePollMs) }
          : { ...n, temperature: null },
      ),
    };
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
