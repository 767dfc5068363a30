import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type ApprovalsRepository, type AuditRepository, type ChatCard, type ChatRepository } from '@jarvis/db';
import {
  clusterSummaryLines,
  evaluateSshCommand,
  quoteData,
  sanitiseDataText,
  sshToolCommand,
  type ChatLine,
  type IntentCluster,
  type ToolArgs,
  type ToolHandlers,
  type ToolResult,
  type CapabilityAssessment,
  type PermissionReport,
} from '@jarvis/policies';
import { ClusterSnapshot } from '../proxmox/cluster-snapshot';
import { type ProxmoxClient } from '../proxmox/proxmox.client';
import { isRefusal, type ProxmoxError } from '../proxmox/proxmox.errors';
import { createProxmoxActivities, toApplicationFailure, type ProxmoxActivityDeps } from '../proxmox/proxmox.activities';
import { sshFailure } from '../ssh/ssh.activities';
import { type SshRunner } from '../ssh/types';
import { type ChatStreamEvent } from '../llm/llm.types';

export type { ChatCard } from '@jarvis/db';

export interface ChatContext {
  readonly history: ChatLine[];
  readonly cluster: string[];
  readonly compactCluster: string[];
  readonly events: string[];
  /** For the offline parser: names and VMIDs to resolve "start dns". */
  readonly parser: IntentCluster;
  /**
   * The token's capabilities as last checked, so the model is offered only tools that can work;
   * absent before any check.
   */
  readonly capabilities?: readonly CapabilityAssessment[];
}

export interface ChatActivityDeps {
  readonly pve: ProxmoxClient;
  readonly chat: ChatRepository;
  readonly audit: AuditRepository;
  readonly approvals: ApprovalsRepository;
  /** Where power actions record the guest's desired state (the same store the worker's Proxmox activities use). */
  readonly desired: ProxmoxActivityDeps['desired'];
  /** The SSH layer, when configured; without it ssh.run and service.status say so. */
  readonly ssh?: SshRunner;
  /** How long the prompt's cluster summary is reused (default 30 s). */
  readonly summaryTtlMs?: number;
  /** The last line of defence before a change (see ProxmoxActivityDeps.guard). */
  readonly guard?: ProxmoxActivityDeps['guard'];
  /** The token's last permission self-check (null before any), for the model's tool list. */
  readonly permissions?: () => Promise<PermissionReport | null>;
}

const pct = (a: number, b: number): string => (b > 0 ? `${Math.round((a / b) * 100)}%` : '?');
const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toApplicationFailure(err);
  }
}

/**
 * The chat turn's side of the world: its context (cached cluster summary, recent events, the
 * conversation so far), the catalog tools' handlers (one per tool, `satisfies ToolHandlers`),
 * the chat projection and its live events.
 */
export function createChatActivities({
  pve,
  chat,
  audit,
  approvals,
  desired,
  ssh,
  summaryTtlMs = 30_000,
  guard,
  permissions,
}: ChatActivityDeps) {
  // The prompt's summary is cached ~30 s so building a prompt costs milliseconds; tools read fresh.
  const promptSnapshot = new ClusterSnapshot({ client: pve, ttlMs: summaryTtlMs });
  const signal = (): AbortSignal => Context.current().cancellationSignal;
  // describeGuest and wakeNode as the VM action and the runbooks use them: one implementation.
  const proxmox = createProxmoxActivities({ pve, desired, ...(guard ? { guard } : {}) });

  async function loadChatContext(input: { sessionId: string; turn: number }): Promise<ChatContext> {
    const [messages, state, recent, report] = await Promise.all([
      chat.messages(input.sessionId, { beforeTurn: input.turn, limit: 200 }),
      promptSnapshot.get().catch(() => undefined),
      audit.recent(8).catch(() => []),
      // Unreadable is no check: every tool is offered, and Proxmox's refusals are reported as they come.
      permissions ? permissions().catch(() => null) : null,
    ]);
    return {
      history: messages.map((m) => ({ role: m.role, text: m.text })),
      cluster: state ? clusterSummaryLines(state) : ['the cluster could not be read just now'],
      compactCluster: state
        ? clusterSummaryLines(state, { compact: true })
        : ['the cluster could not be read just now'],
      events: recent.map(
        (e) => `${sanitiseDataText(e.at, 30)} ${sanitiseDataText(e.kind, 20)}: ${sanitiseDataText(e.title, 140)}`,
      ),
      parser: {
        guests: (state?.guests ?? []).map((g) => ({ vmid: g.vmid, name: g.name, node: g.node, type: g.type })),
        nodes: (state?.nodes ?? []).map((n) => n.name),
      },
      // A check that could not read the privileges is no verdict on any tool: none is left out for it.
      ...(report && report.error === undefined ? { capabilities: report.capabilities } : {}),
    };
  }

  async function clusterStatus(_input: ToolArgs['cluster.status']): Promise<ToolResult> {
    return mapped(async () => {
      // Without Sys.Audit on / the status read is refused: the rest is still worth telling, with
      // quorum unknown and the reason said.
      const [status, resources] = await Promise.all([
        pve.clusterStatus({ signal: signal() }).catch((err: unknown) => {
          if (isRefusal(err)) return err as ProxmoxError;
          throw err;
        }),
        pve.clusterResources(undefined, { signal: signal() }),
      ]);
      const refused = status instanceof Error ? status : undefined;
      const lines = clusterSummaryLines({
        quorum: refused
          ? {
              quorate: false,
              unknown: true,
              nodes: resources.nodes.filter((n) => n.status === 'online').length,
              expected: resources.nodes.length,
            }
          : (status as Exclude<typeof status, Error>).quorum,
        nodes: resources.nodes,
        guests: resources.guests,
        storage: resources.storage,
        updatedAt: new Date().toISOString(),
      });
      if (refused) {
        lines.push(
          `partial: Proxmox refused /cluster/status (${refused.message}); quorum and membership unknown, and guests the token may not audit are not listed`,
        );
      }
      return { ok: true, lines };
    });
  }

  async function nodeStatus(input: ToolArgs['node.status']): Promise<ToolResult> {
    return mapped(async () => {
      const [s, resources] = await Promise.all([
        pve.nodeStatus(input.node, { signal: signal() }),
        pve.clusterResources('vm', { signal: signal() }),
      ]);
      const guests = resources.guests.filter((g) => g.node === input.node);
      return {
        ok: true,
        lines: [
          `node ${quoteData(input.node)} up ${Math.round(s.uptime / 3600)} h, cpu ${pct(s.cpu, 1)}, load ${s.loadavg.join(' ')}, mem ${pct(s.memory.used, s.memory.total)} of ${gib(s.memory.total)}, root ${pct(s.rootfs.used, s.rootfs.total)}`,
          `version ${sanitiseDataText(s.pveversion ?? '?', 60)}, ${s.cpuinfo.cpus} CPUs ${quoteData(s.cpuinfo.model ?? '?', 60)}`,
          ...guests.map((g) => `guest ${g.vmid} ${g.type} ${quoteData(g.name, 64)} ${g.status}`),
        ],
      };
    });
  }

  async function guestList(input: ToolArgs['guest.list']): Promise<ToolResult> {
    return mapped(async () => {
      const { guests } = await pve.clusterResources('vm', { signal: signal() });
      const shown = guests
        .filter((g) => (!input.node || g.node === input.node) && (!input.status || g.status === input.status))
        .sort((a, b) => a.vmid - b.vmid);
      return {
        ok: true,
        lines: shown.length
          ? shown.map(
              (g) =>
                `guest ${g.vmid} ${g.type} ${quoteData(g.name, 64)} ${g.status} on ${quoteData(g.node)}${g.tags.length ? ` tags ${g.tags.map((t) => quoteData(t, 32)).join(',')}` : ''}${g.lock ? ` lock ${quoteData(g.lock, 24)}` : ''}`,
            )
          : ['no guests match'],
      };
    });
  }

  async function storageList(input: ToolArgs['storage.list']): Promise<ToolResult> {
    return mapped(async () => {
      const { storage } = await pve.clusterResources('storage', { signal: signal() });
      return {
        ok: true,
        lines: storage
          .filter((s) => !input.node || s.node === input.node)
          .map(
            (s) =>
              `storage ${quoteData(s.storage, 40)} on ${quoteData(s.node)} ${sanitiseDataText(s.type, 16)} used ${pct(s.usedFraction, 1)} of ${gib(s.total)} ${sanitiseDataText(s.status, 16)}`,
          ),
      };
    });
  }

  async function taskRecent(input: ToolArgs['task.recent']): Promise<ToolResult> {
    return mapped(async () => {
      const nodes = input.node
        ? [input.node]
        : (await pve.clusterResources('node', { signal: signal() })).nodes
            .filter((n) => n.status === 'online')
            .map((n) => n.name);
      const limit = input.limit ?? 10;
      const all = (
        await Promise.all(
          nodes.map((node) =>
            pve
              .listTasks(
                node,
                { limit: 50, source: 'all', ...(input.vmid !== undefined ? { vmid: input.vmid } : {}) },
                { signal: signal() },
              )
              .catch(() => []),
          ),
        )
      ).flat();
      const failed = (t: { status?: string }): boolean => t.status !== undefined && t.status !== 'OK';
      const tasks = all
        .filter((t) => !input.errorsOnly || failed(t))
        .sort((a, b) => b.starttime - a.starttime)
        .slice(0, limit);
      const lines: string[] = [];
      for (const t of tasks) {
        let tail = '';
        if (failed(t)) {
          // Task logs are free text from the node: the most hostile input there is. Last lines only, sanitised.
          const log = await pve
            .taskLog(t.node, t.upid, { start: 0, limit: 50 }, { signal: signal() })
            .catch(() => undefined);
          tail = log
            ? ` log: ${log.lines
                .slice(-3)
                .map((l) => quoteData(l.t, 160))
                .join(' | ')}`
            : '';
        }
        lines.push(
          `${new Date(t.starttime * 1000).toISOString()} ${quoteData(t.node)} ${sanitiseDataText(t.type, 24)} ${sanitiseDataText(t.id, 12)} ${t.status === undefined ? 'running' : quoteData(t.status, 120)}${tail}`,
        );
      }
      return {
        ok: true,
        lines: lines.length ? lines : [input.errorsOnly ? 'no failed tasks recently' : 'no recent tasks'],
      };
    });
  }

  async function metricsHistory(input: ToolArgs['metrics.history']): Promise<ToolResult> {
    return mapped(async () => {
      const rows = await pve.nodeRrd(input.node, input.timeframe ?? 'hour', 'AVERAGE', { signal: signal() });
      const stat = (key: string, scale: (v: number) => number): string => {
        const vs = rows.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
        if (vs.length === 0) return 'n/a';
        const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
        return `min ${scale(Math.min(...vs)).toFixed(1)} mean ${scale(mean).toFixed(1)} max ${scale(Math.max(...vs)).toFixed(1)}`;
      };
      const mem = rows
        .map((r) => (r['memtotal'] ? (r['memused'] ?? 0) / r['memtotal'] : undefined))
        .filter((v): v is number => v !== undefined);
      return {
        ok: true,
        lines: [
          `node ${quoteData(input.node)} over the last ${input.timeframe ?? 'hour'} (${rows.length} samples)`,
          `cpu % ${stat('cpu', (v) => v * 100)}`,
          `load ${stat('loadavg', (v) => v)}`,
          `mem % ${mem.length ? `mean ${((mem.reduce((a, b) => a + b, 0) / mem.length) * 100).toFixed(1)} max ${(Math.max(...mem) * 100).toFixed(1)}` : 'n/a'}`,
        ],
      };
    });
  }

  /** The ssh.run tool: one allowlisted command (a YELLOW shape only after the turn's approval). */
  async function sshRun(input: ToolArgs['ssh.run']): Promise<ToolResult> {
    const decision = evaluateSshCommand(input.command);
    if (decision.kind === 'deny') return { ok: false, lines: [`refused: ${decision.reason}`] };
    if (!ssh) return { ok: false, lines: ['SSH is not configured: Jarvis has no SSH access to the nodes.'] };
    if (input.allowYellow === true) await guard?.assertAllowed('ssh.run', { node: input.node, command: input.command });
    const result = await ssh
      .exec(input.node, input.command, {
        signal: signal(),
        timeoutMs: 30_000,
        allowYellow: input.allowYellow === true,
      })
      .catch((err: unknown) => {
        throw sshFailure(err);
      });
    const out = result.stdout
      .split('\n')
      .slice(-40)
      .map((l) => sanitiseDataText(l, 200));
    return {
      ok: result.exitCode === 0,
      lines: [`$ ${result.argv.join(' ')} (exit ${result.exitCode ?? result.signal ?? '?'})`, ...out],
    };
  }

  async function serviceStatus(input: ToolArgs['service.status']): Promise<ToolResult> {
    const command = sshToolCommand('service.status', input) ?? '';
    const decision = evaluateSshCommand(command);
    if (decision.kind === 'deny') return { ok: false, lines: [`refused: ${decision.reason}`] };
    if (!ssh) return { ok: false, lines: ['SSH is not configured: service status needs SSH access to the node.'] };
    const result = await ssh
      .exec(input.node, command, { signal: signal(), timeoutMs: 15_000 })
      .catch((err: unknown) => {
        throw sshFailure(err);
      });
    return {
      ok: true,
      lines: [
        `${quoteData(input.service)} on ${quoteData(input.node)}: ${sanitiseDataText(result.stdout, 40) || 'unknown'}`,
      ],
    };
  }

  async function approvalList(input: ToolArgs['approval.list']): Promise<ToolResult> {
    const items = await approvals.list({ state: input.state ?? 'pending', limit: 20 });
    return {
      ok: true,
      lines: items.length
        ? items.map(
            (a) =>
              `${a.id}: ${a.tier} ${sanitiseDataText(a.action, 24)} on ${quoteData(a.target.node)}${a.target.vmid !== undefined ? ` guest ${a.target.vmid}` : ''} ${a.state}, requested by ${sanitiseDataText(a.requestedBy.id, 40)}`,
          )
        : [`no ${input.state ?? 'pending'} approvals`],
    };
  }

  /** node.reboot / node.shutdown, after the policy and the operator's approval. */
  async function nodePowerCommand(node: string, command: 'reboot' | 'shutdown'): Promise<ToolResult> {
    return mapped(async () => {
      await pve.nodeCommand(node, command, { signal: signal() });
      return { ok: true, lines: [`node ${quoteData(node)}: ${command} requested`], data: { node, command } };
    });
  }

  /** guest.describe: the same fresh read the VM action decides on, as lines and a few facts. */
  async function guestDescribe(input: ToolArgs['guest.describe']): Promise<ToolResult> {
    const g = await proxmox.describeGuest(input);
    const details = [
      g.haManaged ? `HA managed${g.haState ? ` (${sanitiseDataText(g.haState, 24)})` : ''}` : 'not HA managed',
      ...(g.template ? ['a template'] : []),
      ...(g.lock ? [`lock ${quoteData(g.lock, 24)}`] : []),
      ...(g.tags.length ? [`tags ${g.tags.map((t) => quoteData(t, 32)).join(',')}`] : []),
    ];
    return {
      ok: true,
      lines: [
        `guest ${g.vmid} ${g.kind} ${quoteData(g.name, 64)} on ${quoteData(g.node)} is ${g.status}`,
        details.join(', '),
      ],
      data: { vmid: g.vmid, node: g.node, kind: g.kind, status: g.status, haManaged: g.haManaged },
    };
  }

  /** node.wake: a wake-on-LAN packet from an online node. */
  async function nodeWake(input: ToolArgs['node.wake']): Promise<ToolResult> {
    const r = await proxmox.wakeNode({ node: input.node });
    return {
      ok: true,
      lines: [
        `wake-on-LAN packet sent to ${quoteData(r.node)} (${sanitiseDataText(r.mac, 17)})${r.via ? ` through ${quoteData(r.via)}` : ''}`,
      ],
      data: { node: r.node, mac: r.mac, ...(r.via ? { via: r.via } : {}) },
    };
  }

  /** service.restart, after the policy (which already ran the allowlist) and the operator's approval. */
  async function serviceRestart(input: ToolArgs['service.restart']): Promise<ToolResult> {
    if (!ssh) return { ok: false, lines: ['SSH is not configured: services cannot be restarted.'] };
    const command = sshToolCommand('service.restart', input) ?? '';
    const result = await ssh
      .exec(input.node, command, { signal: signal(), timeoutMs: 60_000, allowYellow: true })
      .catch((err: unknown) => {
        throw sshFailure(err);
      });
    const ok = result.exitCode === 0;
    return {
      ok,
      lines: [
        `${quoteData(input.service)} on ${quoteData(input.node)}: ${ok ? 'restarted' : `systemctl exited with ${result.exitCode ?? result.signal ?? '?'}`}`,
        ...result.stdout
          .split('\n')
          .filter((l) => l.trim() !== '')
          .slice(-5)
          .map((l) => sanitiseDataText(l, 200)),
      ],
      data: { node: input.node, service: input.service, exitCode: result.exitCode ?? -1 },
    };
  }

  const toolHandlers = {
    clusterStatus,
    nodeStatus,
    guestDescribe,
    guestList,
    storageList,
    taskRecent,
    metricsHistory,
    approvalList,
    sshRun,
    serviceStatus,
    nodeReboot: (input: ToolArgs['node.reboot']) => nodePowerCommand(input.node, 'reboot'),
    nodeShutdown: (input: ToolArgs['node.shutdown']) => nodePowerCommand(input.node, 'shutdown'),
    nodeWake,
    serviceRestart,
  } satisfies ToolHandlers;

  /** The reply joins the conversation (idempotent per turn) and goes to the browser. */
  async function saveChatReply(input: {
    sessionId: string;
    turn: number;
    text: string;
    provider: string;
    cards: ChatCard[];
    costUsd: number;
    timings?: Record<string, unknown>;
    notice?: string;
  }): Promise<void> {
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    if (!workflowId) throw ApplicationFailure.nonRetryable('saveChatReply runs only in a workflow');
    await chat.addReply({ ...input, workflowId });
    await publishChatEvent({
      type: 'message',
      sessionId: input.sessionId,
      workflowId,
      text: input.text.slice(0, 3_000),
      provider: input.provider,
      costUsd: input.costUsd,
      ...(input.notice ? { notice: input.notice } : {}),
    });
  }

  /** A card, a stage or a notice for the turn's session room; best effort, the session keeps the record. */
  async function publishChatEvent(event: ChatStreamEvent): Promise<void> {
    const text = JSON.stringify(event);
    await chat
      .notify(text.length < 7_900 ? text : JSON.stringify({ ...event, text: '', truncated: true }))
      .catch(() => undefined);
  }

  return {
    loadChatContext,
    ...toolHandlers,
    saveChatReply,
    publishChatEvent,
  };
}

export type ChatActivities = ReturnType<typeof createChatActivities>;
