import { Ledger } from './ledger';
import { isOnline, type SimGuest, type SimModel, type SimNode } from './model';
import { DEFAULT_PERMISSION_PRESET, presetAcl, type Acl } from './permissions';
import { SeededRandom } from './random';
import { buildScenario, type NodeIdentities } from './scenario';
import { Scheduler } from './scheduler';
import { evolve, settleLoadavg, takeSnapshot, type StatsSnapshot } from './stats';
import { seedTaskHistory } from './task-history';
import { TaskRegistry } from './tasks';
import { Timing } from './timing';

export interface DiskFill {
  node: string;
  storage: string;
  percent: number;
  originalUsed: number;
}

/** Faults that persist until cleared; per-node and per-guest ones live on the model itself. */
export interface FaultState {
  quorumLost: boolean;
  latencyMs: number;
  errorRate: number;
  diskFills: DiskFill[];
  /** Units stopped by the service-down fault, until a `systemctl restart` over SSH starts them. */
  servicesDown: ServiceDown[];
}

export interface ServiceDown {
  node: string;
  unit: string;
}

export interface ClusterInit {
  seed: number;
  taskMs: number | undefined;
  refreshMs: number;
  /** Each node's cluster IP and certificate fingerprint. */
  identities: NodeIdentities;
  /** 'user@realm!tokenid' of the API token: who PVE says started the tasks. */
  tokenUser: string;
}

function noFaults(): FaultState {
  return { quorumLost: false, latencyMs: 0, errorRate: 0, diskFills: [], servicesDown: [] };
}

/** The whole simulated cluster: model, tasks, ledger, faults and the pvestatd-style refresh. */
export class ClusterSim {
  readonly ledger = new Ledger();
  readonly scheduler = new Scheduler();
  model!: SimModel;
  tasks!: TaskRegistry;
  faults: FaultState = noFaults();
  seed: number;
  timing: Timing;
  refreshMs: number;
  /**
   * Whether the API token holds Sys.Audit on `/` (default true). Without it PVE silently leaves
   * other users' tasks out of /cluster/tasks, and /access/permissions says so.
   */
  sysAudit = true;
  /**
   * The restricted token's ACL (path → privileges, propagated down). A reset restores the
   * default preset ('auditor': PVEAuditor on `/`).
   */
  acl: Acl = presetAcl(DEFAULT_PERMISSION_PRESET);
  /** Separate streams: one more API call must not shift the noise, nor a refresh the error draws. */
  noise!: SeededRandom;
  shuffle!: SeededRandom;
  errorDraws!: SeededRandom;
  private snap!: StatsSnapshot;
  private lastTickMs = 0;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly nodeListeners = new Set<() => void>();

  constructor(private readonly init: ClusterInit) {
    this.seed = init.seed;
    this.timing = new Timing(init.taskMs);
    this.refreshMs = init.refreshMs;
    this.reset(init.seed);
  }

  get tokenUser(): string {
    return this.init.tokenUser;
  }

  now(): number {
    return Date.now();
  }

  reset(seed: number = this.init.seed): void {
    this.scheduler.cancelAll();
    this.seed = seed;
    const now = this.now();
    this.model = buildScenario(seed, now, this.init.identities);
    this.noise = SeededRandom.stream(seed, 'noise');
    this.shuffle = SeededRandom.stream(seed, 'shuffle');
    this.errorDraws = SeededRandom.stream(seed, 'errors');
    this.tasks = new TaskRegistry({
      scheduler: this.scheduler,
      timing: () => this.timing,
      now: () => this.now(),
      pids: SeededRandom.stream(seed, 'pids'),
    });
    seedTaskHistory(this.model, this.tasks, now, SeededRandom.stream(seed, 'history'));
    this.ledger.clear();
    this.faults = noFaults();
    this.acl = presetAcl(DEFAULT_PERMISSION_PRESET);
    settleLoadavg(this.model);
    this.snap = takeSnapshot(this.model, now);
    this.lastTickMs = now;
    this.restartRefreshTimer();
    this.nodesChanged();
  }

  /** Called on every change of which nodes are up, so their endpoints open or close with them. */
  onNodesChanged(listener: () => void): () => void {
    this.nodeListeners.add(listener);
    return () => this.nodeListeners.delete(listener);
  }

  /** Whoever powers a node off or on, cuts it off or lets it back, says so here. */
  nodesChanged(): void {
    for (const listener of this.nodeListeners) listener();
  }

  node(name: string): SimNode | undefined {
    return this.model.nodes.find((n) => n.name === name);
  }

  guest(vmid: number): SimGuest | undefined {
    return this.model.guests.find((g) => g.vmid === vmid);
  }

  nodeOnline(name: string): boolean {
    const node = this.node(name);
    return node !== undefined && isOnline(node);
  }

  /** Votes of reachable nodes against a majority of all votes (4 nodes → 3 needed), unless a fault forces it lost. */
  quorate(): boolean {
    if (this.faults.quorumLost) return false;
    const online = this.model.nodes.filter(isOnline).length;
    return online >= Math.floor(this.model.nodes.length / 2) + 1;
  }

  /** The data /cluster/resources serves; with refreshMs 0 it is always fresh. */
  snapshot(): StatsSnapshot {
    if (this.refreshMs === 0) this.refresh(this.now());
    return this.snap;
  }

  refresh(atMs: number): void {
    evolve(this.model, this.noise, atMs - this.lastTickMs);
    this.lastTickMs = atMs;
    this.snap = takeSnapshot(this.model, atMs);
  }

  setConfig(change: { taskMs?: number | null; refreshMs?: number; sysAudit?: boolean }): void {
    if (change.taskMs !== undefined) this.timing = new Timing(change.taskMs ?? undefined);
    if (change.sysAudit !== undefined) this.sysAudit = change.sysAudit;
    if (change.refreshMs !== undefined) {
      this.refreshMs = change.refreshMs;
      this.restartRefreshTimer();
    }
  }

  private restartRefreshTimer(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    if (this.refreshMs <= 0) return;
    // Logical tick times keep two runs with the same seed producing identical snapshots.
    this.refreshTimer = setInterval(() => this.refresh(this.lastTickMs + this.refreshMs), this.refreshMs);
    this.refreshTimer.unref();
  }

  dispose(): void {
    this.nodeListeners.clear();
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    this.scheduler.cancelAll();
  }
}
