/**
 * The typed contract between the tool catalog and whatever carries a tool out. Types only, plus
 * the one check of a result's shape: every catalog tool's arguments are declared here, every
 * tool's handler returns a {@link ToolResult}, and the activities `satisfies` {@link ToolHandlers}
 * so that a handler of the wrong shape does not compile.
 */
import { type PowerAction } from './catalog';

/** What every tool hands back: whether it worked, and lines for the model or the operator. */
export interface ToolResult {
  readonly ok: boolean;
  /** Sanitised text (a model reads it); the first line is the summary. */
  readonly lines: readonly string[];
  /** Structured facts for a caller that acts on the result (a runbook, MCP), never shown as is. */
  readonly data?: Readonly<Record<string, string | number | boolean>>;
}

/** How a tool is carried out; the dispatcher switches on it exhaustively. */
export type ToolKind =
  'read' | 'ssh-read' | 'guest-power' | 'node-power' | 'node-wake' | 'service' | 'snapshot' | 'rollback';

export interface NodeArgs {
  readonly node: string;
}
export interface GuestArgs {
  readonly node: string;
  readonly vmid: number;
}
export interface GuestPowerArgs extends GuestArgs {
  /** Set from the cluster's facts by the caller, never chosen by a model. */
  readonly kind?: 'qemu' | 'lxc';
  readonly reason?: string;
}
export interface ServiceArgs {
  readonly node: string;
  readonly service: string;
}

/** Every catalog tool's arguments, as its JSON schema admits them. */
export interface ToolArgs {
  'guest.describe': GuestArgs;
  'cluster.status': Record<string, never>;
  'node.status': NodeArgs;
  'guest.list': { readonly node?: string; readonly status?: 'running' | 'stopped' | 'paused' };
  'storage.list': { readonly node?: string };
  'task.recent': {
    readonly node?: string;
    readonly vmid?: number;
    readonly limit?: number;
    readonly errorsOnly?: boolean;
  };
  'metrics.history': NodeArgs & { readonly timeframe?: 'hour' | 'day' | 'week' };
  'approval.list': { readonly state?: 'pending' | 'decided' };
  'ssh.run': NodeArgs & {
    readonly command: string;
    /**
     * Set by the dispatcher, never by a caller (the schema refuses it): the policy has judged the
     * command, and a YELLOW shape has its approval, so the SSH layer may run it.
     */
    readonly allowYellow?: boolean;
  };
  'service.status': ServiceArgs;
  'node.reboot': NodeArgs & { readonly reason?: string };
  'node.shutdown': NodeArgs & { readonly reason?: string };
  'guest.start': GuestPowerArgs;
  'guest.stop': GuestPowerArgs;
  'guest.shutdown': GuestPowerArgs;
  'guest.reboot': GuestPowerArgs;
  'guest.suspend': GuestPowerArgs;
  'guest.resume': GuestPowerArgs;
  'node.wake': NodeArgs & { readonly reason?: string };
  'service.restart': ServiceArgs & { readonly reason?: string };
  'guest.snapshot': GuestArgs & { readonly name: string; readonly description?: string };
  'guest.rollback': GuestArgs & { readonly snapshot: string };
}

export type ToolName = keyof ToolArgs;
export type GuestPowerToolName = `guest.${PowerAction}`;

/**
 * Tools the dispatcher composes from durable steps (issue the Proxmox task, follow it, verify)
 * rather than one handler: a retried step must adopt its task, never issue a second one.
 */
export type ComposedToolName = GuestPowerToolName | 'guest.snapshot' | 'guest.rollback';
export type HandledToolName = Exclude<ToolName, ComposedToolName>;

/** `guest.describe` → `guestDescribe`: a handler's name is its tool's, derived by the compiler. */
export type ToolHandlerName<N extends string> = N extends `${infer A}.${infer B}` ? `${A}${Capitalize<B>}` : never;

/** One handler per catalog tool that one activity carries out, each returning a ToolResult. */
export type ToolHandlers = {
  readonly [N in HandledToolName as ToolHandlerName<N>]: (args: ToolArgs[N]) => Promise<ToolResult>;
};

/**
 * Whether a value has the shape of a ToolResult. A handler's answer crosses a process boundary
 * (an activity result is JSON), so the dispatcher checks it rather than trusting the type.
 */
export function isToolResult(value: unknown): value is ToolResult {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as { ok?: unknown; lines?: unknown; data?: unknown };
  if (typeof r.ok !== 'boolean' || !Array.isArray(r.lines)) return false;
  if (!(r.lines as unknown[]).every((l) => typeof l === 'string')) return false;
  return r.data === undefined || (typeof r.data === 'object' && r.data !== null && !Array.isArray(r.data));
}
