import { type SimNode } from './model';
import { type SeededRandom } from './random';
import { type Scheduler } from './scheduler';
import { type Timing } from './timing';
import { encodeUpid } from './upid';

/** A failure inside a worker: becomes the task's exitstatus, never an HTTP error. */
export class TaskFailure extends Error {}

export interface SimTask {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
  running: boolean;
  exitstatus?: string;
  endtime?: number;
  log: string[];
}

export interface TaskContext {
  readonly task: SimTask;
  log(line: string): void;
  warn(line: string): void;
}

/** What a worker does once it holds its lock: wait durationMs, then apply its effect. */
export interface TaskPlan {
  durationMs: number;
  finish?: (ctx: TaskContext) => void;
}

export interface ForkRequest {
  node: SimNode;
  type: string;
  id: string;
  user: string;
  /** The guest config flock the worker holds; a second action on the same guest waits for it. */
  lock?: { key: string; path: string };
  body: (ctx: TaskContext) => TaskPlan;
}

export interface HistoricTask {
  node: SimNode;
  type: string;
  id: string;
  user: string;
  startMs: number;
  endMs: number;
  exitstatus: string;
  log: string[];
}

export interface TaskListQuery {
  start: number;
  limit: number;
  source: 'archive' | 'active' | 'all';
  errors: boolean;
  vmid?: number;
  typefilter?: string;
  userfilter?: string;
  since?: number;
  until?: number;
  statusfilter?: string;
  /** Without Sys.Audit on the node PVE lists only the caller's own tasks, silently. */
  onlyUser?: string;
}

interface Waiter {
  started: boolean;
  cancelled: boolean;
  run: () => void;
}

interface Deps {
  scheduler: Scheduler;
  timing: () => Timing;
  now: () => number;
  pids: SeededRandom;
}

/** 'root@pam!jarvis' → ['root@pam', 'jarvis'] as PVE's split_tokenid does for task status. */
export function splitTokenUser(user: string): { user: string; tokenid?: string } {
  const bang = user.indexOf('!');
  return bang < 0 ? { user } : { user: user.slice(0, bang), tokenid: user.slice(bang + 1) };
}

/** The fields every task-list entry (node or cluster list) shares, decoded from the UPID. */
export function taskListFields(t: SimTask) {
  return {
    upid: t.upid,
    node: t.node,
    pid: t.pid,
    pstart: t.pstart,
    starttime: t.starttime,
    type: t.type,
    id: t.id,
  };
}

function normalizeStatus(task: SimTask): 'ok' | 'warning' | 'error' | 'unknown' {
  const s = task.exitstatus;
  if (task.running || s === undefined || s === 'unexpected status') return 'unknown';
  if (s === 'OK') return 'ok';
  if (/^WARNINGS: \d+$/.test(s)) return 'warning';
  return 'error';
}

export class TaskRegistry {
  private readonly tasks: SimTask[] = [];
  private readonly locks = new Map<string, Waiter[]>();

  constructor(private readonly deps: Deps) {}

  private allocate(node: SimNode, type: string, id: string, user: string, atMs: number): SimTask {
    node.nextPid += this.deps.pids.int(1, 400);
    if (node.nextPid > 4_194_000) node.nextPid = 1000 + (node.nextPid % 1000);
    const task = {
      node: node.name,
      pid: node.nextPid,
      // Clock ticks (USER_HZ=100) since the node booted, like /proc/<pid>/stat field 22.
      pstart: Math.max(0, Math.floor((atMs - node.bootMs) / 10)),
      starttime: Math.floor(atMs / 1000),
      type,
      id,
      user,
    };
    const full: SimTask = { ...task, upid: encodeUpid(task), running: true, log: [] };
    this.tasks.push(full);
    return full;
  }

  fork(req: ForkRequest): SimTask {
    const task = this.allocate(req.node, req.type, req.id, req.user, this.deps.now());
    let warnings = 0;
    const ctx: TaskContext = {
      task,
      log: (line) => task.log.push(line),
      warn: (line) => {
        warnings++;
        task.log.push(`WARN: ${line}`);
      },
    };
    const release = () => {
      if (req.lock) this.release(req.lock.key);
    };
    const run = () => {
      let plan: TaskPlan;
      try {
        plan = req.body(ctx);
      } catch (err) {
        this.deps.scheduler.after(this.deps.timing().failFast(), () => {
          this.finish(task, errorText(err), warnings);
          release();
        });
        return;
      }
      this.deps.scheduler.after(plan.durationMs, () => {
        try {
          plan.finish?.(ctx);
          this.finish(task, undefined, warnings);
        } catch (err) {
          this.finish(task, errorText(err), warnings);
        }
        release();
      });
    };
    if (!req.lock) {
      run();
      return task;
    }
    const lock = req.lock;
    this.acquire(lock.key, run, () => {
      this.finish(task, `can't lock file '${lock.path}' - got timeout`, warnings);
    });
    return task;
  }

  private acquire(key: string, run: () => void, onTimeout: () => void): void {
    const queue = this.locks.get(key);
    const waiter: Waiter = { started: false, cancelled: false, run };
    if (!queue) {
      this.locks.set(key, []);
      waiter.started = true;
      run();
      return;
    }
    queue.push(waiter);
    this.deps.scheduler.after(this.deps.timing().lockTimeout(), () => {
      if (waiter.started) return;
      waiter.cancelled = true;
      onTimeout();
    });
  }

  private release(key: string): void {
    const queue = this.locks.get(key);
    if (!queue) return;
    let next = queue.shift();
    while (next?.cancelled) next = queue.shift();
    if (!next) {
      this.locks.delete(key);
      return;
    }
    next.started = true;
    next.run();
  }

  private finish(task: SimTask, error: string | undefined, warnings: number): void {
    if (!task.running) return;
    task.running = false;
    task.endtime = Math.floor(this.deps.now() / 1000);
    if (error !== undefined) {
      task.exitstatus = error;
      task.log.push(`TASK ERROR: ${error}`);
    } else if (warnings > 0) {
      task.exitstatus = `WARNINGS: ${warnings}`;
      task.log.push(`TASK WARNINGS: ${warnings}`);
    } else {
      task.exitstatus = 'OK';
      task.log.push('TASK OK');
    }
  }

  addHistoric(h: HistoricTask): SimTask {
    const task = this.allocate(h.node, h.type, h.id, h.user, h.startMs);
    task.running = false;
    task.endtime = Math.floor(h.endMs / 1000);
    task.exitstatus = h.exitstatus;
    const last =
      h.exitstatus === 'OK'
        ? 'TASK OK'
        : /^WARNINGS: /.test(h.exitstatus)
          ? `TASK ${h.exitstatus}`
          : `TASK ERROR: ${h.exitstatus}`;
    task.log.push(...h.log, last);
    return task;
  }

  /** A task is only found on the node that ran it, as the log file only exists there. */
  find(node: string, upid: string): SimTask | undefined {
    return this.tasks.find((t) => t.upid === upid && t.node === node);
  }

  all(): readonly SimTask[] {
    return this.tasks;
  }

  /** Mirrors pve-manager's node_tasks: active first, then the index read backwards; total counts every match. */
  list(node: string, q: TaskListQuery): { entries: Record<string, unknown>[]; total: number } {
    let statusAllowed = new Set(['ok', 'warning', 'error', 'unknown']);
    if (q.statusfilter !== undefined && !q.errors) {
      statusAllowed = new Set(
        q.statusfilter
          .split(/[,;\s]+/)
          .filter(Boolean)
          .map((s) => s.toLowerCase()),
      );
    } else if (q.errors) {
      statusAllowed.delete('ok');
    }
    let count = 0;
    let remaining = q.limit;
    const entries: Record<string, unknown>[] = [];
    const accept = (task: SimTask): boolean => {
      const split = splitTokenUser(task.user);
      if (q.onlyUser !== undefined && task.user !== q.onlyUser) return false;
      if (q.userfilter && !split.user.toLowerCase().includes(q.userfilter.toLowerCase())) return false;
      if (q.typefilter && task.type !== q.typefilter) return false;
      if (q.vmid !== undefined && task.id !== String(q.vmid)) return false;
      if (q.since !== undefined && task.starttime < q.since) return false;
      if (q.until !== undefined && task.starttime > q.until) return false;
      if (!statusAllowed.has(normalizeStatus(task))) return false;
      if (count++ < q.start) return false;
      if (remaining <= 0) return false;
      remaining--;
      return true;
    };
    const base = taskListFields;
    const mine = this.tasks.filter((t) => t.node === node);
    if (q.source === 'active' || q.source === 'all') {
      // The active file is not run through convert_token_task, so the token stays in `user`.
      for (const t of mine.filter((x) => x.running).reverse()) {
        if (accept(t)) entries.push({ ...base(t), user: t.user, status: 'RUNNING' });
      }
    }
    if (q.source !== 'active') {
      const finished = mine.filter((x) => !x.running).sort((a, b) => (b.endtime ?? 0) - (a.endtime ?? 0));
      for (const t of finished) {
        if (accept(t))
          entries.push({ ...base(t), ...splitTokenUser(t.user), endtime: t.endtime, status: t.exitstatus });
      }
    }
    return { entries, total: count };
  }
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}
