import {
  allHandlersFinished,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '@jarvis/activities';
import {
  anthropicTools,
  catalogToolName,
  claudeSystemPrompt,
  conversationWindow,
  evaluateToolCall,
  findTool,
  frameData,
  localSystemPrompt,
  needsTools,
  parseIntent,
  refusalAdvice,
  routeTurn,
  type LlmProvider,
  type ParsedIntent,
  type ToolCall,
} from '@jarvis/policies';
import {
  chatProgressQuery,
  CHAT_TURN_WORKFLOW,
  type ChatTurnInput,
  type ChatTurnProgress,
  type ChatTurnProvider,
  type ChatTurnResult,
} from './chat-turn.messages';
import { createApprovalGate } from './approval-gate';
import { dispatchTool } from './tool-dispatch';
import { loadRunPolicy } from './policy-loader';

type Acts = activities.ProxmoxActivities &
  activities.DbActivities &
  activities.ChatActivities &
  activities.LlmActivities;
type Step = activities.WorkflowStep;
type TurnMessage = activities.TurnMessage;
type LlmCallResult = activities.LlmCallResult;
type Card = activities.ChatCard;

/**
 * Marks turns whose model is offered only the tools the Proxmox token's last self-check allows.
 * A turn recorded before it offered every tool, and replays so.
 */
export const CAPABILITY_TOOLS_PATCH = 'chat-tools-by-capability-v1';

// Must match LLM_FAILURE in @jarvis/activities (workflows import activities' types only).
const FALLBACK_TYPES = ['LLM_UNAVAILABLE', 'LLM_NOT_CONFIGURED', 'LLM_AUTH', 'LLM_BUDGET'];
const NON_RETRYABLE_LLM = ['LLM_NOT_CONFIGURED', 'LLM_AUTH', 'LLM_BAD_REQUEST', 'LLM_BUDGET'];

const local = proxyLocalActivities<Acts>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 10 },
});

/**
 * One chat turn: context, the router's choice of model, the tool loop under the tier policy
 * (GREEN runs, YELLOW/RED wait for the same `decide` approval as the dashboard's, BLACK is
 * refused back to the model), and the reply. The history records every decision.
 */
export async function chatTurnWorkflow(input: ChatTurnInput): Promise<ChatTurnResult> {
  const { workflowId } = workflowInfo();
  const timing = input.timing ?? {};
  const maxIterations = input.maxIterations ?? 6;
  const llm = proxyActivities<Acts>({
    startToCloseTimeout: timing.llmTimeoutMs ?? 120_000,
    retry: {
      initialInterval: timing.llmRetryInitialMs ?? 1_000,
      backoffCoefficient: 2,
      maximumInterval: '10s',
      maximumAttempts: timing.llmMaxAttempts ?? 3,
      nonRetryableErrorTypes: NON_RETRYABLE_LLM,
    },
  });
  const tools = proxyActivities<Acts>({
    startToCloseTimeout: timing.callTimeoutMs ?? 45_000,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
  });
  const follower = proxyActivities<Acts>({
    startToCloseTimeout: 12 * 60_000,
    heartbeatTimeout: timing.heartbeatTimeoutMs ?? 30_000,
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 20 },
  });

  let phase: ChatTurnProgress['phase'] = 'thinking';
  let provider: ChatTurnProvider | undefined;
  let stepSeq = 0;
  let costUsd = 0;
  let iterations = 0;
  const cards: Card[] = [];
  const toolRuns: { tool: string; tier: string; outcome: string }[] = [];
  const stages: Record<string, number> = {};
  const requester = { kind: 'chat' as const, id: input.requestedBy };
  // Jarvis's policy, from its store: whatever policy the input carries is never read. Who asked,
  // and the override grant, are checked with it against the API's key.
  const run = await loadRunPolicy(input, {
    requester: { kind: 'operator', id: input.requestedBy, voucher: input.requesterVoucher },
    overrideGrant: { by: input.requestedBy, voucher: input.overrideGrant },
  });
  const key = run.decisionKey?.publicKey;
  // A turn nobody at the API vouched for may talk, but runs no tool.
  const vouch = run.fromStore
    ? (run.requester ?? { ok: false as const, code: 'UNSIGNED' as const, reason: 'not checked' })
    : ({ ok: true, nonce: '' } as const);
  // The passkey counts once: one action, this turn only. A new turn takes it only as the API's
  // signed grant; a turn recorded before compared hashes, and replays so.
  let overrideAvailable = run.fromStore
    ? vouch.ok && run.overrideGranted === true
    : input.overridePasskeySha256 !== undefined && input.saidPasskeySha256 === input.overridePasskeySha256;

  const unwritten: Step[] = [];
  const step = (
    kind: string,
    title: string,
    extra: { by?: string; detail?: Record<string, unknown>; atMs?: number; node?: string; vmid?: number } = {},
  ): void => {
    const { atMs, ...rest } = extra;
    unwritten.push({ key: `step-${++stepSeq}`, kind, title, at: new Date(atMs ?? Date.now()).toISOString(), ...rest });
  };
  const flush = async (archive?: { kind: string; summary: Record<string, unknown> }): Promise<void> => {
    if (unwritten.length === 0 && !archive) return;
    await local.recordSteps({ steps: unwritten.splice(0), ...(archive ? { archive } : {}) });
  };
  const stage = (name: string, atMs: number, title: string): void => {
    // Each stage is recorded once, at its first occurrence: later LLM calls are in the `llm` steps.
    if (stages[name] !== undefined) return;
    stages[name] = atMs;
    step(`stage:${name}`, title, { atMs, detail: { stage: name, sinceReceivedMs: atMs - stages['received']! } });
  };
  const publishCard = async (card: Card): Promise<void> => {
    cards.push(card);
    await local.publishChatEvent({ type: 'card', sessionId: input.sessionId, workflowId, card });
  };

  // The same gate and `decide` update as the dashboard's: one judge (evaluateDecision), in the validator and the handler.
  const gate = createApprovalGate({ step, flush }, 'Approve or reject the action this chat turn waits for.', {
    signed: run.fromStore,
    ...(key ? { publicKey: key } : {}),
  });
  setHandler(chatProgressQuery, () => {
    const pendingApprovalId = gate.pendingId();
    return { phase, ...(provider ? { provider } : {}), ...(pendingApprovalId ? { pendingApprovalId } : {}) };
  });

  stage('received', Date.now(), `${input.requestedBy} said: ${input.text.slice(0, 200)}`);
  if (run.fromStore) step('policy', `Policy version ${run.version}`, { detail: { policyVersion: run.version } });
  if (!vouch.ok)
    step('unvouched', `This turn did not come through Jarvis's API: no tool will run (${vouch.reason})`, {
      detail: { code: vouch.code },
    });
  const ctx = await local.loadChatContext({ sessionId: input.sessionId, turn: input.turn });
  const parsed = parseIntent(input.text, ctx.parser);
  const budget = await local.llmBudget();
  const window = conversationWindow(ctx.history, { keep: 24, nodeNames: ctx.parser.nodes });
  const history: TurnMessage[] = window.recent.map((m) =>
    m.role === 'user' ? { role: 'user', text: m.text } : { role: 'assistant', text: m.text },
  );
  const failed: Partial<Record<LlmProvider, string>> = {};
  const notices: string[] = [];
  if (overrideAvailable)
    step('override', 'Override passkey given: one RED or overridable BLACK action may be confirmed in chat', {
      by: input.requestedBy,
    });

  /**
   * A tool call that goes wrong in any way is a failed tool the model (or the parser's reply) is
   * told about, and the turn goes on: never a workflow task that fails and retries for ever.
   */
  async function runToolSafely(call: ToolCall): Promise<{ ok: boolean; text: string }> {
    try {
      return await runTool(call);
    } catch (err) {
      if (isCancellation(err)) throw err;
      const why = String((err as { message?: unknown } | undefined)?.message ?? err).slice(0, 200);
      step('tool-failed', `${call.tool} failed: ${why}`, { detail: { tool: call.tool } });
      toolRuns.push({ tool: call.tool, tier: 'n/a', outcome: 'failed' });
      await flush();
      return { ok: false, text: `FAILED: ${call.tool} could not be carried out (${why}); nothing more is known.` };
    }
  }

  /** Runs one tool call through the tier policy; returns what the model (or the parser's reply) is told. */
  async function runTool(call: ToolCall): Promise<{ ok: boolean; text: string }> {
    phase = 'tools';
    stage('tools', Date.now(), 'Tools');
    if (!vouch.ok) {
      step('blocked', `Blocked ${call.tool}: the turn was not started through Jarvis's API`, {
        detail: { tier: 'BLACK', ruleId: 'unvouched-requester' },
      });
      toolRuns.push({ tool: call.tool, tier: 'BLACK', outcome: 'blocked' });
      return { ok: false, text: 'REFUSED (BLACK): this request did not come through Jarvis. Nothing was done.' };
    }
    const tool = findTool(call.tool);
    const args = typeof call.args === 'object' && call.args !== null ? call.args : {};
    const target = {
      ...(typeof args['node'] === 'string' ? { node: args['node'] } : {}),
      ...(typeof args['vmid'] === 'number' ? { vmid: args['vmid'] } : {}),
    };
    let facts: Awaited<ReturnType<Acts['describeGuest']>> | undefined;
    if (tool?.target === 'guest' && typeof args['node'] === 'string' && typeof args['vmid'] === 'number') {
      try {
        facts = await local.describeGuest({ node: args['node'], vmid: args['vmid'] });
      } catch (err) {
        if (failureType(err) !== 'NOT_FOUND') {
          // The facts decide the tier: without them nothing runs, and the model is told why. A
          // refusal (a guest the token may not see) says so, and what would allow it.
          const code = failureType(err);
          if (code && ['PERMISSION', 'AUTH', 'NOT_IMPLEMENTED'].includes(code) && patched('chat-refusal-reason')) {
            const why = causeMessage(err);
            const advice = refusalAdvice(code, why);
            step('tool-failed', `${call.tool}: Proxmox refused: ${why}`.slice(0, 300), {
              ...target,
              detail: { tool: call.tool, code, ...(advice ? { advice } : {}) },
            });
            toolRuns.push({ tool: call.tool, tier: 'n/a', outcome: 'failed' });
            return {
              ok: false,
              text: `FAILED: ${call.tool} was not carried out: Proxmox refused (${why})${advice ? `. ${advice}` : ''}; nothing was done`,
            };
          }
          step('tool-failed', `${call.tool}: guest ${args['vmid']} could not be read`, target);
          toolRuns.push({ tool: call.tool, tier: 'n/a', outcome: 'failed' });
          return {
            ok: false,
            text: `FAILED: guest ${String(args['vmid'])} could not be read just now; nothing was done`,
          };
        }
        step('tool-not-found', `${call.tool}: guest ${args['vmid']} is not on ${args['node']}`, target);
        toolRuns.push({ tool: call.tool, tier: 'n/a', outcome: 'not-found' });
        return { ok: false, text: `guest ${String(args['vmid'])} is not on node ${String(args['node'])}` };
      }
    }
    // The model does not choose the guest's kind: the cluster does.
    const callArgs = facts && tool?.kind === 'guest-power' ? { ...args, kind: facts.kind } : args;
    const decision = evaluateToolCall(
      { tool: call.tool, args: callArgs },
      { ...(facts ? { haManaged: facts.haManaged } : {}) },
      run.policy,
      { overrideActive: overrideAvailable },
    );
    step('tool', `${call.tool} ${JSON.stringify(target)}: ${decision.tier}`, {
      ...target,
      detail: {
        tool: call.tool,
        args: callArgs,
        tier: decision.tier,
        ruleId: decision.ruleId,
        reason: decision.reason,
      },
    });

    if (decision.kind === 'deny') {
      step('blocked', `Blocked ${call.tool}: ${decision.reason}`, {
        ...target,
        detail: { tier: 'BLACK', ruleId: decision.ruleId },
      });
      toolRuns.push({ tool: call.tool, tier: decision.tier, outcome: 'blocked' });
      await Promise.all([
        publishCard({ kind: 'blocked', tool: call.tool, target, tier: 'BLACK', reason: decision.reason }),
        flush(),
      ]);
      return { ok: false, text: `REFUSED (BLACK): ${decision.reason}. This action will not be carried out.` };
    }

    if (decision.kind === 'ask') {
      if (decision.overridden) {
        overrideAvailable = false;
        step('override-used', `Override passkey applied to ${call.tool}`, {
          by: input.requestedBy,
          ...target,
          detail: { tier: decision.tier },
        });
      }
      const verdict = await awaitApproval(
        call.tool,
        callArgs,
        decision.tier === 'RED' ? 'RED' : 'YELLOW',
        decision.overridden === true,
        facts?.name ?? (typeof args['node'] === 'string' ? args['node'] : ''),
      );
      if (verdict !== 'approved') {
        toolRuns.push({ tool: call.tool, tier: decision.tier, outcome: verdict });
        return {
          ok: false,
          text: `NOT DONE: the operator's confirmation was ${verdict === 'rejected' ? 'refused' : 'not given in time'}; nothing was changed.`,
        };
      }
    }
    phase = 'tools';
    const result = await dispatchTool(tool!.name, callArgs, {
      handlers: tools,
      steps: {
        issuePowerAction: tools.issuePowerAction,
        followPowerTask: follower.followPowerTask,
        issueSnapshot: tools.issueSnapshot,
        issueRollback: tools.issueRollback,
        waitForTask: follower.waitForTask,
      },
      now: () => Date.now(),
      alongside: () => flush(),
      onStep: (kind, title, detail) => step(kind, title, { ...target, detail }),
    });
    toolRuns.push({ tool: call.tool, tier: decision.tier, outcome: result.ok ? 'done' : 'failed' });
    step(
      result.ok ? 'tool-done' : 'tool-failed',
      `${call.tool} ${result.ok ? 'done' : 'failed'}: ${result.lines[0] ?? ''}`.slice(0, 300),
      {
        ...target,
        detail: { tool: call.tool, tier: decision.tier },
      },
    );
    await Promise.all([
      publishCard({
        kind: 'tool',
        tool: call.tool,
        target,
        tier: decision.tier,
        status: result.ok ? 'done' : 'failed',
        summary: result.lines.slice(0, 3),
      }),
      flush(),
    ]);
    return { ok: result.ok, text: frameData('tool-result', result.lines) };
  }

  async function awaitApproval(
    tool: string,
    args: Record<string, unknown>,
    tier: 'YELLOW' | 'RED',
    overridden: boolean,
    resourceName: string,
  ): Promise<'approved' | 'rejected' | 'expired'> {
    phase = 'awaiting-approval';
    const action = tool.startsWith('guest.') ? tool.slice('guest.'.length) : tool;
    const target = {
      node: typeof args['node'] === 'string' ? args['node'] : '',
      ...(typeof args['vmid'] === 'number' ? { vmid: args['vmid'] } : {}),
      ...(typeof args['kind'] === 'string' ? { type: args['kind'] } : {}),
    };
    const asked = await gate.ask({
      // With the passkey a lone operator's one confirmation in chat suffices, even for RED.
      tier: overridden ? 'YELLOW' : tier,
      requester,
      tool,
      args,
      ttlMs: input.approvalTtlMs,
      escalateAfterMs: input.escalateAfterMs,
      twoPersonRule: overridden ? false : run.twoPersonRule,
      resourceName,
      listing: {
        action,
        target,
        reason: `asked in chat${overridden ? ' (override passkey)' : ''}: ${input.text.slice(0, 200)}`,
        shownTier: tier,
      },
      requestStep: {
        kind: 'waiting',
        title: `Waiting for ${tier === 'RED' && !overridden ? 'two confirmations' : 'a confirmation'}: ${tool}`,
        node: target.node,
        ...(target.vmid !== undefined ? { vmid: target.vmid } : {}),
        detail: { tier },
      },
      announce: ({ id, fingerprint, expiresAt }) =>
        publishCard({
          kind: 'confirmation',
          approvalId: id,
          workflowId,
          tool,
          action,
          target,
          tier,
          overridden,
          fingerprint,
          expiresAt,
          needs:
            tier === 'RED' && !overridden ? (run.twoPersonRule ? 'two operators' : 'the name typed') : 'one operator',
        }),
      flushOnExpiry: true,
    });
    return asked.status;
  }

  /** The Claude tool loop: call, run each tool_use through the policy, feed the results back; capped. */
  async function claudeLoop(): Promise<string> {
    const system = claudeSystemPrompt({
      cluster: ctx.cluster,
      events: ctx.events,
      ...(window.summary ? { earlier: window.summary } : {}),
    });
    const toolDefs = anthropicTools(run.policy.tiers, patched(CAPABILITY_TOOLS_PATCH) ? ctx.capabilities : undefined);
    const messages: TurnMessage[] = [...history, { role: 'user', text: input.text }];
    const texts: string[] = [];
    while (iterations < maxIterations) {
      iterations++;
      const result = await callLlm('claude', { sessionId: input.sessionId, system, messages, tools: toolDefs });
      if (result.text) texts.push(result.text);
      if (result.toolCalls.length === 0 || result.stopReason !== 'tool_use') return texts.join('\n\n');
      messages.push({ role: 'assistant', text: result.text, toolCalls: result.toolCalls });
      const results: { id: string; content: string; isError?: boolean }[] = [];
      for (const call of result.toolCalls) {
        const outcome = await runToolSafely({
          tool: catalogToolName(call.name),
          args: call.input as Record<string, unknown>,
        });
        results.push({ id: call.id, content: outcome.text, ...(outcome.ok ? {} : { isError: true }) });
      }
      messages.push({ role: 'tool', results });
      phase = 'thinking';
    }
    step('iteration-cap', `Stopped after ${maxIterations} model calls`);
    texts.push(
      `I have stopped after ${maxIterations} steps, sir; the rest would be guesswork. Ask again if you want me to carry on.`,
    );
    return texts.join('\n\n');
  }

  async function callLlm(p: 'claude' | 'local', req: activities.LlmCallInput): Promise<LlmCallResult> {
    stage('llm-start', Date.now(), `LLM call (${p})`);
    const result = p === 'claude' ? await llm.callClaude(req) : await llm.callLocalModel(req);
    costUsd += result.costUsd;
    if (result.firstTokenAtMs !== undefined && stages['first-token'] === undefined)
      stage('first-token', result.firstTokenAtMs, `First token from ${p}`);
    step(
      'llm',
      `${p} ${result.model}: ${result.usage.inputTokens} in, ${result.usage.outputTokens} out, $${result.costUsd.toFixed(6)}`,
      {
        detail: {
          provider: p,
          model: result.model,
          usage: result.usage,
          costUsd: result.costUsd,
          attempt: result.attempt,
          toolCalls: result.toolCalls.length,
        },
      },
    );
    return result;
  }

  async function offline(intent: ParsedIntent): Promise<string> {
    if (intent.kind === 'greeting')
      return 'Good day, sir. I am running on my offline command parser just now, so keep it simple and I shall keep up.';
    if (intent.kind === 'unknown' || intent.kind === 'unresolved')
      return intent.kind === 'unknown'
        ? `I am afraid I did not follow that without a language model. ${intent.hint}`
        : intent.hint;
    const parts: string[] = [];
    for (const call of intent.calls) {
      const r = await runToolSafely(call);
      // The operator reads these, not a model: the data block's fences are dropped, the sanitised lines kept.
      parts.push(
        r.text
          .split('\n')
          .filter((l) => !l.startsWith('<<<'))
          .join('\n'),
      );
    }
    return parts.join('\n\n');
  }

  // Route, and fall down the chain when a provider turns out to be unavailable.
  let text: string;
  let route = routeTurn({
    needsTools: needsTools(input.text, ctx.parser),
    intent: parsed.intent,
    claudeConfigured: budget.claudeConfigured,
    localConfigured: budget.localConfigured,
    budget,
  });
  step('route', `Router: ${route.chain.join(' → ')} (${route.reason})`, {
    detail: { ruleId: route.ruleId, chain: route.chain },
  });
  if (route.notice) notices.push(route.notice);
  for (;;) {
    const next = route.chain[0]!;
    provider = next;
    try {
      if (next === 'claude') text = await claudeLoop();
      else if (next === 'local') {
        iterations++;
        const system = localSystemPrompt({
          cluster: ctx.compactCluster,
          ...(window.summary ? { earlier: window.summary } : {}),
        });
        text = (
          await callLlm('local', {
            sessionId: input.sessionId,
            system,
            messages: [...history, { role: 'user', text: input.text }],
            maxTokens: 400,
          })
        ).text;
      } else text = await offline(parsed);
      break;
    } catch (err) {
      const type = failureType(err);
      if (next === 'offline' || !type || !FALLBACK_TYPES.includes(type)) throw err;
      const why = (err as { cause?: { message?: string } }).cause?.message ?? type;
      failed[next] =
        type === 'LLM_UNAVAILABLE'
          ? why.replace(/^[^:]*: /, '').slice(0, 120)
          : type.toLowerCase().replace('llm_', '').replace('_', ' ');
      step('fallback', `${next} unavailable: ${why.slice(0, 200)}`, { detail: { provider: next, type } });
      route = routeTurn({
        needsTools: needsTools(input.text, ctx.parser),
        intent: parsed.intent,
        claudeConfigured: budget.claudeConfigured,
        localConfigured: budget.localConfigured,
        failed,
        budget,
      });
      if (route.notice) notices.push(route.notice);
      step('route', `Router: ${route.chain.join(' → ')} (${route.reason})`, {
        detail: { ruleId: route.ruleId, chain: route.chain },
      });
    }
  }

  phase = 'done';
  const notice = notices.at(-1);
  const reply = text.trim() || 'Done, sir.';
  stage('done', Date.now(), `Answered by ${provider}`);
  const received = stages['received']!;
  const timings = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, v - received]));
  await condition(allHandlersFinished);
  await local.saveChatReply({
    sessionId: input.sessionId,
    turn: input.turn,
    text: notice ? `${reply}\n\n(${notice})` : reply,
    provider: provider,
    cards,
    costUsd,
    timings,
    ...(notice ? { notice } : {}),
  });
  await flush({
    kind: CHAT_TURN_WORKFLOW,
    summary: {
      sessionId: input.sessionId,
      turn: input.turn,
      provider,
      requestedBy: input.requestedBy,
      outcome: 'answered',
      tools: toolRuns.length,
    },
  });
  return { text: reply, provider: provider, ...(notice ? { notice } : {}), iterations, costUsd, toolRuns, cards };
}

/** The innermost message of an activity failure (Proxmox's words), cut short: it reaches a model. */
function causeMessage(err: unknown): string {
  const e = err as { message?: unknown; cause?: { message?: unknown } } | undefined;
  const inner = typeof e?.cause?.message === 'string' && e.cause.message ? e.cause.message : e?.message;
  return String(inner ?? err).slice(0, 300);
}

/** The ApplicationFailure type behind an activity failure. Compared by type, never instanceof. */
function failureType(err: unknown): string | undefined {
  const e = err as { type?: unknown; cause?: { type?: unknown } } | undefined;
  return typeof e?.type === 'string' ? e.type : typeof e?.cause?.type === 'string' ? e.cause.type : undefined;
}
