import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  ApprovalsRepository,
  AuditRepository,
  LlmCostsRepository,
  SettingsRepository,
  writePermissionCheck,
  type ApprovalView,
} from '@jarvis/db';
import { decideUpdate, stageTimings, timelineFromHistory } from '@jarvis/workflows/api';
import { eventually, ledger, powerCalls, simControl } from '../support/vm-action.fixtures';
import {
  anthropicBodies,
  listenChat,
  newSession,
  script,
  startChatStack,
  startTurn,
  type ChatStack,
} from './chat.fixtures';
import { signedDecision } from '../support/vouch';

/** Chat turns on the real Temporal dev server, the simulator and the fake LLM servers (real SDK and client). */
describe('chatTurnWorkflow', () => {
  let c: ChatStack;
  let approvals: ApprovalsRepository;

  beforeAll(async () => {
    c = await startChatStack();
    approvals = new ApprovalsRepository(c.stack.pool);
  });
  afterAll(async () => {
    await c?.close();
  });
  beforeEach(async () => {
    c.llm.reset();
    await simControl(c.stack, 'POST', '/reset', {});
  });

  const pending = (workflowId: string, not?: string) =>
    eventually(async () =>
      (await approvals.list({ state: 'pending' })).find((a) => a.workflowId === workflowId && a.id !== not),
    );
  /** A decision as a card sends it: for this approval, with the fingerprint it showed. */
  const decide = (approval: ApprovalView, verdict: 'approve' | 'reject', extra: Record<string, unknown> = {}) =>
    c.stack.client.workflow.getHandle(approval.workflowId).executeUpdate(decideUpdate, {
      args: [
        signedDecision(c.stack, {
          approvalId: approval.id,
          fingerprint: approval.fingerprint,
          by: 'operator',
          byIsOperator: true,
          verdict,
          ...extra,
        }),
      ],
    });

  it('runs the tool loop: a GREEN read, its result back to Claude as data, then the answer; cost, stages and feed recorded', async () => {
    script(c.llm, 'anthropic', [
      { kind: 'reply', text: 'Checking, sir. ', tools: [{ name: 'cluster_status', input: {} }] },
      { kind: 'reply', text: 'All four nodes are online, sir.', chunkDelayMs: 5 },
    ]);
    const session = await newSession(c);
    const listener = await listenChat(c.stack.databaseUrl);
    const handle = await startTurn(c, session, "How's the cluster?");
    const result = await handle.result();
    expect(result).toMatchObject({
      provider: 'claude',
      iterations: 2,
      toolRuns: [{ tool: 'cluster.status', tier: 'GREEN', outcome: 'done' }],
    });
    expect(result.text).toContain('All four nodes are online');

    const bodies = anthropicBodies(c.llm);
    expect(bodies).toHaveLength(2);
    expect(JSON.stringify(bodies[0]!['tools'])).toContain('guest_start');
    const toolResult = JSON.stringify((bodies[1]!['messages'] as unknown[]).at(-1));
    expect(toolResult).toContain('tool_result');
    expect(toolResult).toContain('<<<DATA tool-result');
    expect(toolResult).toContain('web-01');

    const costs = await new LlmCostsRepository(c.stack.pool).forWorkflow(handle.workflowId);
    expect(costs).toHaveLength(2);
    expect(costs[0]!.costUsd).toBeGreaterThan(0);
    expect(result.costUsd).toBeCloseTo(costs[0]!.costUsd + costs[1]!.costUsd, 6);

    const steps = timelineFromHistory((await handle.fetchHistory()).events ?? []);
    const stageKinds = steps.filter((s) => s.kind.startsWith('stage:')).map((s) => s.kind);
    expect(stageKinds).toEqual(['stage:received', 'stage:llm-start', 'stage:first-token', 'stage:tools', 'stage:done']);
    const timings = stageTimings(steps);
    expect(timings['received']).toBe(0);
    expect(timings['first-token']!).toBeGreaterThanOrEqual(timings['llm-start']!);
    expect(timings['done']!).toBeGreaterThanOrEqual(timings['tools']!);
    const feed = await new AuditRepository(c.stack.pool).forWorkflow(handle.workflowId);
    expect(feed.map((e) => e.kind)).toContain('tool-done');

    const messages = await c.chat.messages(session);
    expect(messages.map((m) => [m.role, m.provider])).toEqual([
      ['user', undefined],
      ['assistant', 'claude'],
    ]);
    expect(messages[1]!.cards?.[0]).toMatchObject({ kind: 'tool', tool: 'cluster.status', status: 'done' });

    await eventually(
      () => Promise.resolve(listener.events.some((e) => e['type'] === 'message') ? true : undefined),
      5_000,
    );
    const deltas = listener.events.filter((e) => e['type'] === 'delta' && e['workflowId'] === handle.workflowId);
    expect(deltas.map((d) => d['text']).join('')).toBe('Checking, sir. All four nodes are online, sir.');
    await listener.close();
  });

  it('asks for a YELLOW start with the same approval as the dashboard, and starts the guest once approved', async () => {
    script(c.llm, 'anthropic', [
      { kind: 'reply', text: 'Very good. ', tools: [{ name: 'guest_start', input: { node: 'pve', vmid: 107 } }] },
      { kind: 'reply', text: 'VM 107 is running, sir.' },
    ]);
    const handle = await startTurn(c, await newSession(c), 'Start VM 107');
    const approval = await pending(handle.workflowId);
    expect(approval).toMatchObject({
      tier: 'YELLOW',
      action: 'start',
      target: { node: 'pve', vmid: 107, type: 'qemu' },
      requestedBy: { kind: 'chat', id: 'operator' },
    });
    expect(powerCalls(await ledger(c.stack), 107, 'start')).toHaveLength(0);
    await decide(approval, 'approve');
    const result = await handle.result();
    expect(result.toolRuns).toEqual([{ tool: 'guest.start', tier: 'YELLOW', outcome: 'done' }]);
    expect(powerCalls(await ledger(c.stack), 107, 'start')).toHaveLength(1);
    expect((await approvals.get(approval.id))?.state).toBe('approved');
    expect(result.cards.map((k) => k['kind'])).toEqual(['confirmation', 'tool']);
  });

  it('tells the model when the operator rejects, and changes nothing', async () => {
    script(c.llm, 'anthropic', [
      { kind: 'reply', tools: [{ name: 'guest_stop', input: { node: 'pve', vmid: 100 } }] },
      { kind: 'reply', text: 'As you wish; web-01 stays up.' },
    ]);
    const handle = await startTurn(c, await newSession(c), 'stop web-01');
    await decide(await pending(handle.workflowId), 'reject', { comment: 'not now' });
    const result = await handle.result();
    expect(result.toolRuns).toEqual([{ tool: 'guest.stop', tier: 'YELLOW', outcome: 'rejected' }]);
    expect(powerCalls(await ledger(c.stack), 100, 'stop')).toHaveLength(0);
    expect(JSON.stringify(anthropicBodies(c.llm)[1]!['messages'])).toContain('NOT DONE');
  });

  it('a stale card cannot decide the next confirmation, even for the same action', async () => {
    script(c.llm, 'anthropic', [
      { kind: 'reply', tools: [{ name: 'guest_stop', input: { node: 'pve', vmid: 100 } }] },
      { kind: 'reply', text: 'Let me ask again. ', tools: [{ name: 'guest_stop', input: { node: 'pve', vmid: 100 } }] },
      { kind: 'reply', text: 'Understood; web-01 stays up.' },
    ]);
    const handle = await startTurn(c, await newSession(c), 'stop web-01');
    const first = await pending(handle.workflowId);
    await decide(first, 'reject');
    const second = await pending(handle.workflowId, first.id);
    expect(second.id).not.toBe(first.id);
    expect(second.fingerprint).toBe(first.fingerprint);

    // The operator clicks approve on the first, already rejected card: it names the first approval.
    const stale = await decide(first, 'approve').then(
      () => undefined,
      (err: unknown) => {
        expect((err as Error).name).toBe(WorkflowUpdateFailedError.name);
        return (err as { cause?: { type?: string } }).cause?.type;
      },
    );
    expect(stale).toBe('APPROVAL_MISMATCH');
    expect((await approvals.get(second.id))?.state).toBe('pending');
    expect(powerCalls(await ledger(c.stack), 100, 'stop')).toHaveLength(0);

    await decide(second, 'reject');
    const result = await handle.result();
    expect(result.toolRuns).toEqual([
      { tool: 'guest.stop', tier: 'YELLOW', outcome: 'rejected' },
      { tool: 'guest.stop', tier: 'YELLOW', outcome: 'rejected' },
    ]);
    expect(powerCalls(await ledger(c.stack), 100, 'stop')).toHaveLength(0);
    expect((await approvals.get(first.id))?.decisions).toEqual([expect.objectContaining({ verdict: 'reject' })]);
    expect(result.cards.filter((k) => k['kind'] === 'confirmation').map((k) => k['approvalId'])).toEqual([
      first.id,
      second.id,
    ]);
  });

  it('refuses "reboot agent1" as BLACK with the reason, and tells the model', async () => {
    script(c.llm, 'anthropic', [
      { kind: 'reply', tools: [{ name: 'node_reboot', input: { node: 'agent1' } }] },
      { kind: 'reply', text: 'I cannot: agent1 hosts me.' },
    ]);
    const handle = await startTurn(c, await newSession(c), 'Reboot agent1');
    const result = await handle.result();
    expect(result.toolRuns).toEqual([{ tool: 'node.reboot', tier: 'BLACK', outcome: 'blocked' }]);
    expect(result.cards[0]).toMatchObject({
      kind: 'blocked',
      reason: expect.stringContaining("node:agent1 is protected: Jarvis's own VM depends on it"),
    });
    expect(JSON.stringify(anthropicBodies(c.llm)[1]!['messages'])).toContain('REFUSED (BLACK)');
    expect((await ledger(c.stack)).filter((e) => e.node === 'agent1')).toEqual([]);
    expect((await approvals.list()).filter((a) => a.workflowId === handle.workflowId)).toEqual([]);
  });

  it('falls back: Claude overloaded (529) → the local model with a notice → the offline parser', async () => {
    script(c.llm, 'anthropic', [
      { kind: 'error', status: 529 },
      { kind: 'error', status: 529 },
    ]);
    script(c.llm, 'openai', [{ kind: 'reply', text: 'The cluster looks calm from here, sir.' }]);
    const first = await (await startTurn(c, await newSession(c), 'how is the storage doing?')).result();
    expect(first).toMatchObject({ provider: 'local', text: 'The cluster looks calm from here, sir.' });
    expect(first.notice).toMatch(/Claude is unavailable.*local model/);

    c.llm.reset();
    script(c.llm, 'anthropic', [
      { kind: 'error', status: 529 },
      { kind: 'error', status: 529 },
    ]);
    script(c.llm, 'openai', [
      { kind: 'error', status: 503 },
      { kind: 'error', status: 503 },
    ]);
    const second = await (await startTurn(c, await newSession(c), 'how is the storage doing?')).result();
    expect(second.provider).toBe('offline');
    expect(second.notice).toMatch(/No language model is reachable/);
    expect(second.toolRuns[0]).toMatchObject({ tool: 'cluster.status', outcome: 'done' });
  });

  it('with no LLM configured (the demo), the offline parser answers "start VM 107" with a confirmation', async () => {
    // The router is told nothing is configured by a failed "not configured" probe: simulate with both providers refusing keys.
    script(c.llm, 'anthropic', [{ kind: 'error', status: 401 }]);
    const handle = await startTurn(c, await newSession(c), 'start vm 107');
    const approval = await pending(handle.workflowId);
    expect(approval.action).toBe('start');
    await decide(approval, 'approve');
    const result = await handle.result();
    expect(result.provider).toBe('offline');
    expect(result.text).toMatch(/guest 107 on pve is running/);
    expect(powerCalls(await ledger(c.stack), 107, 'start')).toHaveLength(1);
  });

  it('offers the model only the tools the token can carry out, as its last self-check found', async () => {
    const settings = new SettingsRepository(c.stack.pool);
    const auditor = Object.fromEntries(['Sys.Audit', 'VM.Audit', 'Datastore.Audit'].map((p) => [p, 1]));
    // A newer check than the worker's own: the tool list follows it, whoever checked.
    await writePermissionCheck(
      settings,
      c.stack.cluster,
      { checkedAt: new Date().toISOString(), tokenUser: 'jarvis@pve!test', privileges: { '/': auditor } },
      'test',
    );
    try {
      script(c.llm, 'anthropic', [{ kind: 'reply', text: 'Reading only, sir.' }]);
      await (await startTurn(c, await newSession(c), "How's the cluster?")).result();
      const offered = JSON.stringify(anthropicBodies(c.llm)[0]!['tools']);
      expect(offered).toContain('"cluster_status"');
      expect(offered).not.toContain('"guest_start"');
      expect(offered).not.toContain('"node_reboot"');
    } finally {
      await writePermissionCheck(
        settings,
        c.stack.cluster,
        {
          checkedAt: new Date(Date.now() + 1).toISOString(),
          tokenUser: 'jarvis@pve!test',
          privileges: { '/': { ...auditor, 'VM.PowerMgmt': 1, 'VM.Snapshot': 1, 'Sys.PowerMgmt': 1 } },
        },
        'test',
      );
    }
  });

  it('sends a reset before a retried LLM attempt streams again', async () => {
    script(c.llm, 'anthropic', [
      { kind: 'reply', text: 'one two three four five six', chunkDelayMs: 60, dropAfterChunks: 2 },
      { kind: 'reply', text: 'Second time lucky, sir.' },
    ]);
    const listener = await listenChat(c.stack.databaseUrl);
    const handle = await startTurn(c, await newSession(c), 'status of the cluster please, no tools needed');
    const result = await handle.result();
    expect(result.text).toBe('Second time lucky, sir.');
    await eventually(
      () =>
        Promise.resolve(
          listener.events.some((e) => e['type'] === 'message' && e['workflowId'] === handle.workflowId)
            ? true
            : undefined,
        ),
      5_000,
    );
    const mine = listener.events.filter((e) => e['workflowId'] === handle.workflowId);
    const resetAt = mine.findIndex((e) => e['type'] === 'reset');
    expect(resetAt).toBeGreaterThan(0);
    expect(mine[resetAt]).toMatchObject({ attempt: 2 });
    expect(mine.slice(0, resetAt).some((e) => e['type'] === 'delta' && e['attempt'] === 1)).toBe(true);
    expect(
      mine
        .slice(resetAt)
        .filter((e) => e['type'] === 'delta')
        .map((e) => e['text'])
        .join(''),
    ).toBe('Second time lucky, sir.');
    await listener.close();
  });
});
