/**
 * The one tool dispatcher: every catalog tool, carried out by its kind, for the chat turn, the
 * runbooks and (next) MCP. An exhaustive `switch` on the kind, then on the tool, so a tool added to
 * the catalog without a way to run it does not compile. Guest power, snapshot and rollback are
 * composed here from durable steps (issue the Proxmox task, follow it, verify); every other tool is
 * one handler of the `ToolHandlers` contract the activities satisfy.
 *
 * Plain async code over injected functions, with no workflow API: the chat turn passes activity
 * proxies, the contract test passes the activities themselves. Whatever happens, the caller gets a
 * ToolResult: a thrown error or an answer of the wrong shape is a failed tool, never a stuck turn.
 */
import type * as activities from '@jarvis/activities';
import {
  findTool,
  isToolResult,
  refusalAdvice,
  type GuestPowerToolName,
  type HandledToolName,
  type PowerAction,
  type ToolArgs,
  type ToolHandlers,
  type ToolResult,
  type ToolSpec,
} from '@jarvis/policies';
import { EXPECTED_STATUS } from './vm-action.messages';

/** The durable steps the composed tools are made of, as the Proxmox activities declare them. */
export type ToolSteps = Pick<
  activities.ProxmoxActivities,
  'issuePowerAction' | 'followPowerTask' | 'issueSnapshot' | 'issueRollback' | 'waitForTask'
>;

export interface ToolDispatchDeps {
  readonly handlers: ToolHandlers;
  readonly steps: ToolSteps;
  /** Workflow time in a workflow; no task started before it can be this call's. */
  readonly now: () => number;
  /** Runs beside each step's activity (the chat turn flushes its timeline there). */
  readonly alongside?: () => Promise<void>;
  /** A step worth a line in the timeline (a Proxmox task issued). */
  readonly onStep?: (kind: string, title: string, detail: Record<string, unknown>) => void;
  readonly taskTimeoutMs?: number;
}

/** Carries out one catalog tool whose arguments the policy has already validated and judged. */
export async function dispatchTool(
  name: string,
  args: Readonly<Record<string, unknown>>,
  deps: ToolDispatchDeps,
): Promise<ToolResult> {
  const spec = findTool(name);
  if (!spec) return failed(`${name.slice(0, 80)} is not a known tool`);
  let result: unknown;
  try {
    result = await byKind(spec, args, deps);
  } catch (err) {
    // A refusal says what would make the tool work (which privilege on which path).
    const code = (err as { cause?: { type?: unknown } } | undefined)?.cause?.type;
    const advice = typeof code === 'string' ? refusalAdvice(code, describeError(err)) : undefined;
    return {
      ok: false,
      lines: [`${spec.name} failed: ${describeError(err)}`, ...(advice ? [advice] : [])],
    };
  }
  if (!isToolResult(result))
    return failed(`${spec.name} returned an unexpected result; nothing is known of its outcome`);
  return result;
}

/** The arguments were validated against the tool's schema by the policy before the call. */
function byKind(spec: ToolSpec, args: unknown, deps: ToolDispatchDeps): Promise<ToolResult> {
  switch (spec.kind) {
    case 'read':
    case 'ssh-read':
    case 'node-power':
    case 'node-wake':
    case 'service':
      return handled(spec.name as HandledToolName, args, deps.handlers);
    case 'guest-power':
      return guestPower(spec.name as GuestPowerToolName, args as ToolArgs[GuestPowerToolName], deps);
    case 'snapshot':
      return snapshot(args as ToolArgs['guest.snapshot'], deps);
    case 'rollback':
      return rollback(args as ToolArgs['guest.rollback'], deps);
    default:
      return unreachable(spec.kind);
  }
}

function handled(name: HandledToolName, args: unknown, h: ToolHandlers): Promise<ToolResult> {
  switch (name) {
    case 'guest.describe':
      return h.guestDescribe(args as ToolArgs[typeof name]);
    case 'cluster.status':
      return h.clusterStatus(args as ToolArgs[typeof name]);
    case 'node.status':
      return h.nodeStatus(args as ToolArgs[typeof name]);
    case 'guest.list':
      return h.guestList(args as ToolArgs[typeof name]);
    case 'storage.list':
      return h.storageList(args as ToolArgs[typeof name]);
    case 'task.recent':
      return h.taskRecent(args as ToolArgs[typeof name]);
    case 'metrics.history':
      return h.metricsHistory(args as ToolArgs[typeof name]);
    case 'approval.list':
      return h.approvalList(args as ToolArgs[typeof name]);
    case 'ssh.run':
      // Approved if it had to be: a YELLOW shape asked for, then refused by the SSH layer, is the bug this prevents.
      return h.sshRun({ ...(args as ToolArgs[typeof name]), allowYellow: true });
    case 'service.status':
      return h.serviceStatus(args as ToolArgs[typeof name]);
    case 'node.reboot':
      return h.nodeReboot(args as ToolArgs[typeof name]);
    case 'node.shutdown':
      return h.nodeShutdown(args as ToolArgs[typeof name]);
    case 'node.wake':
      return h.nodeWake(args as ToolArgs[typeof name]);
    case 'service.restart':
      return h.serviceRestart(args as ToolArgs[typeof name]);
    default:
      return unreachable(name);
  }
}

async function withAlongside<T>(deps: ToolDispatchDeps, step: Promise<T>): Promise<T> {
  const [result] = await Promise.all([step, deps.alongside?.()]);
  return result;
}

/** Issue the power task, follow it to its end, and verify the guest reached the state asked for. */
async function guestPower(
  name: GuestPowerToolName,
  args: ToolArgs[GuestPowerToolName],
  deps: ToolDispatchDeps,
): Promise<ToolResult> {
  const action = name.slice('guest.'.length) as PowerAction;
  const { node, vmid, kind } = args;
  if (kind === undefined) return failed(`guest ${vmid}: its kind (qemu or lxc) is not known, so nothing was done`);
  const issued = await withAlongside(
    deps,
    deps.steps.issuePowerAction({ node, vmid, kind, action, notBeforeMs: deps.now() }),
  );
  deps.onStep?.('task', `Proxmox task ${issued.adopted ? 'found after a retry' : 'started'}`, {
    node,
    vmid,
    upid: issued.upid,
    adopted: issued.adopted,
  });
  const expected = EXPECTED_STATUS[action];
  const { task, verification } = await withAlongside(
    deps,
    deps.steps.followPowerTask({
      node,
      vmid,
      kind,
      upid: issued.upid,
      expected,
      ...(deps.taskTimeoutMs ? { taskTimeoutMs: deps.taskTimeoutMs } : {}),
    }),
  );
  const data = { node, vmid, action, upid: issued.upid };
  if (!task.ok || !verification)
    return { ok: false, lines: [`guest ${vmid}: ${action} failed: ${task.exitstatus}`], data };
  return {
    ok: verification.verified,
    lines: [
      verification.verified
        ? `guest ${vmid} on ${node} is ${verification.status} (verified)`
        : `guest ${vmid} on ${node} is ${verification.status}, expected ${expected}`,
    ],
    data: { ...data, status: verification.status },
  };
}

async function snapshot(args: ToolArgs['guest.snapshot'], deps: ToolDispatchDeps): Promise<ToolResult> {
  const { node, vmid, name } = args;
  const { upid } = await withAlongside(
    deps,
    deps.steps.issueSnapshot({ node, vmid, name, ...(args.description ? { description: args.description } : {}) }),
  );
  deps.onStep?.('task', `Proxmox task started: snapshot ${name} of guest ${vmid}`, { node, vmid, upid });
  const task = await withAlongside(deps, deps.steps.waitForTask({ node, upid, ...timeout(deps) }));
  return task.ok
    ? { ok: true, lines: [`snapshot ${name} of guest ${vmid} taken`], data: { node, vmid, snapshot: name, upid } }
    : { ok: false, lines: [`snapshot ${name} of guest ${vmid} failed: ${task.exitstatus}`], data: { upid } };
}

async function rollback(args: ToolArgs['guest.rollback'], deps: ToolDispatchDeps): Promise<ToolResult> {
  const { node, vmid, snapshot: name } = args;
  const { upid } = await withAlongside(deps, deps.steps.issueRollback({ node, vmid, name }));
  deps.onStep?.('task', `Proxmox task started: rollback of guest ${vmid} to ${name}`, { node, vmid, upid });
  const task = await withAlongside(deps, deps.steps.waitForTask({ node, upid, ...timeout(deps) }));
  return task.ok
    ? { ok: true, lines: [`guest ${vmid} rolled back to snapshot ${name}`], data: { node, vmid, snapshot: name, upid } }
    : { ok: false, lines: [`the rollback of guest ${vmid} to ${name} failed: ${task.exitstatus}`], data: { upid } };
}

const timeout = (deps: ToolDispatchDeps): { timeoutMs?: number } =>
  deps.taskTimeoutMs ? { timeoutMs: deps.taskTimeoutMs } : {};

const failed = (line: string): ToolResult => ({ ok: false, lines: [line] });

/** The cause an activity failure wraps, else the error's own message; cut short, it reaches a model. */
function describeError(err: unknown): string {
  const e = err as { message?: unknown; cause?: { message?: unknown } } | undefined;
  const message = typeof e?.cause?.message === 'string' ? e.cause.message : e?.message;
  return String(message ?? err).slice(0, 300);
}

function unreachable(value: never): never {
  throw new Error(`no dispatch for ${String(value)}`);
}
