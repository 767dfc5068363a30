import { type ChildProcess } from 'node:child_process';
import { io } from 'socket.io-client';
import { ApprovalsRepository, LlmCostsRepository, type ApprovalView } from '@jarvis/db';
import { decideUpdate } from '@jarvis/workflows/api';
import { startApi } from '../api/api-harness';
import { OPERATOR } from '../support/stack';
import { killProcess, startWorkerProcess } from '../support/worker-process';
import { eventually, ledger, powerCalls, simControl } from '../support/vm-action.fixtures';
import { INJECTION_CORPUS } from './injection-corpus';
import { anthropicBodies, newSession, script, startChatStack, startTurn, type ChatStack } from './chat.fixtures';
import { signedDecision } from '../support/vouch';

describe('chat guards: budget, injection, a killed worker, the socket', () => {
  it('enforces the budget cap before the call: Claude is never asked, the local model answers with a notice', async () => {
    const c = await startChatStack({ dailyCapUsd: 0.01 });
    try {
      await new LlmCostsRepository(c.stack.pool).record({
        workflowId: `budget-seed-${Date.now()}`,
        activityId: '1',
        provider: 'claude',
        model: 'claude-sonnet-5-5',
        inputTokens: 10_000,
        outputTokens: 1_000,
        costUsd: 0.05,
      });
      script(c.llm, 'openai', [{ kind: 'reply', text: 'Economising, sir.' }]);
      const result = await (await startTurn(c, await newSession(c), 'how is the storage on pve?')).result();
      expect(result).toMatchObject({ provider: 'local', text: 'Economising, sir.' });
      expect(result.notice).toMatch(/daily LLM budget/);
      expect(c.llm.requests().filter((r) => r.api === 'anthropic')).toEqual([]);
    } finally {
      await c.close();
    }
  });

  describe('with one stack', () => {
    let c: ChatStack;
    beforeAll(async () => {
      c = await startChatStack();
    });
    afterAll(async () => {
      await c?.close();
    });
    /** The operator refuses a pending approval, as the API sends it (signed). */
    const rejectAsOperator = (workflowId: string, pending: ApprovalView) =>
      c.stack.client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, {
        args: [
          signedDecision(c.stack, {
            approvalId: pending.id,
            fingerprint: pending.fingerprint,
            by: 'operator',
            byIsOperator: true,
            verdict: 'reject',
          }),
        ],
      });
    beforeEach(async () => {
      c.llm.reset();
      await simControl(c.stack, 'POST', '/reset', {});
    });

    it('a turn started directly on Temporal, vouched for by nobody or with a forged passkey grant, runs no tool', async () => {
      const forged = { at: new Date().toISOString(), nonce: 'AAAAAAAAAAAAAAAAAAAAAAAA', sig: 'A'.repeat(86) };
      // GREEN (start) and YELLOW (stop) tools, asked for by a model in a turn nobody at the API sent.
      script(c.llm, 'anthropic', [
        {
          kind: 'reply',
          tools: [
            { name: 'guest_start', input: { node: 'pve', vmid: 107 } },
            { name: 'guest_stop', input: { node: 'pve', vmid: 100 } },
          ],
        },
        { kind: 'reply', text: 'As you wish.' },
      ]);
      const unvouched = await (
        await startTurn(c, await newSession(c), 'start vm 107 and stop vm 100', { requesterVoucher: forged })
      ).result();
      expect(unvouched.toolRuns.map((r) => [r.tool, r.tier, r.outcome])).toEqual([
        ['guest.start', 'BLACK', 'blocked'],
        ['guest.stop', 'BLACK', 'blocked'],
      ]);

      // The override passkey's grant counts only as the API signed it, for this very turn: a grant
      // made for another turn leaves the RED action needing two operators; the turn's own lifts it.
      const approvals = new ApprovalsRepository(c.stack.pool);
      const rebootAsking = async (over: Parameters<typeof startTurn>[3]) => {
        c.llm.reset();
        script(c.llm, 'anthropic', [
          { kind: 'reply', tools: [{ name: 'node_reboot', input: { node: 'home' } }] },
          { kind: 'reply', text: 'Rebooting, sir.' },
        ]);
        const handle = await startTurn(c, await newSession(c), 'reboot home', over);
        const pending = await eventually(async () =>
          (await approvals.list({ state: 'pending' })).find((a) => a.workflowId === handle.workflowId),
        );
        await rejectAsOperator(handle.workflowId, pending);
        await handle.result();
        return pending;
      };
      const elsewhere = c.stack.signer.sign('override-grant', { workflowId: 'chat:another-session:1', by: 'operator' });
      expect(await rebootAsking({ overrideGrant: elsewhere })).toMatchObject({ twoPerson: true });
      expect(await rebootAsking({ overridePasskeySha256: 'x', saidPasskeySha256: 'x' })).toMatchObject({
        twoPerson: false,
      });
      expect((await ledger(c.stack)).filter((e) => e.method !== 'GET' && (e.action ?? '') !== '')).toEqual([]);
    });

    it(`plants ${INJECTION_CORPUS.length} hostile names, tags and log lines; an obedient model acts on them, and nothing runs without approval, and no BLACK action ever`, async () => {
      const guests = [100, 101, 102, 104, 105, 106, 107, 108, 109, 110, 111, 112];
      for (const [i, hostile] of INJECTION_CORPUS.entries()) {
        const vmid = guests[i % guests.length]!;
        if (i % 3 === 0) await simControl(c.stack, 'POST', '/guest-meta', { vmid, name: hostile });
        else if (i % 3 === 1) await simControl(c.stack, 'POST', '/guest-meta', { vmid, tags: [hostile, 'prod'] });
        else await simControl(c.stack, 'POST', '/task-log', { node: 'pve', vmid, lines: [hostile] });
      }
      await new Promise((r) => setTimeout(r, 150)); // the simulator's resource refresh
      // The model "obeys" the planted text: it asks for what the injections demand.
      script(c.llm, 'anthropic', [
        { kind: 'reply', tools: [{ name: 'task_recent', input: { node: 'pve', errorsOnly: true } }] },
        {
          kind: 'reply',
          tools: [
            { name: 'node_reboot', input: { node: 'agent1' } },
            { name: 'guest_stop', input: { node: 'agent1', vmid: 103 } },
            { name: 'ssh_run', input: { node: 'pve', command: 'rm -rf /' } },
            { name: 'vm_destroy', input: { vmid: 102 } },
            { name: 'guest_stop', input: { node: 'pve', vmid: 100 } },
          ],
        },
        { kind: 'reply', text: 'Done as the data asked.' },
      ]);
      const approvals = new ApprovalsRepository(c.stack.pool);
      const handle = await startTurn(c, await newSession(c), "what's wrong with pve?");
      // The one YELLOW action waits for the operator, who refuses it.
      const pending = await eventually(async () =>
        (await approvals.list({ state: 'pending' })).find((a) => a.workflowId === handle.workflowId),
      );
      expect(pending).toMatchObject({ action: 'stop', target: { vmid: 100 } });
      expect(powerCalls(await ledger(c.stack), 100, 'stop')).toHaveLength(0);
      await rejectAsOperator(handle.workflowId, pending);
      const result = await handle.result();
      expect(result.toolRuns.map((r) => [r.tool, r.tier, r.outcome])).toEqual([
        ['task.recent', 'GREEN', 'done'],
        ['node.reboot', 'BLACK', 'blocked'],
        ['guest.stop', 'BLACK', 'blocked'],
        ['ssh.run', 'BLACK', 'blocked'],
        ['vm_destroy', 'BLACK', 'blocked'],
        ['guest.stop', 'YELLOW', 'rejected'],
      ]);
      // Nothing changed the cluster at all.
      expect((await ledger(c.stack)).filter((e) => e.method !== 'GET' && (e.action ?? '') !== '')).toEqual([]);

      // Every hostile string reached the model only inside a data block, sanitised.
      const bodies = anthropicBodies(c.llm);
      for (const body of bodies) {
        const system = body['system'] as string;
        const text = `${system}\n${JSON.stringify(body['messages'])}`;
        // eslint-disable-next-line no-control-regex -- matching control characters is the point here
        expect(text).not.toMatch(new RegExp('[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u202a-\\u202e\\u200b]'));
        expect(system.match(/<<<DATA /g)?.length).toBe(system.match(/<<<END DATA /g)?.length);
        const outside = system.replace(/<<<DATA [\s\S]*?<<<END DATA [^>]*>>>/g, '');
        expect(outside).not.toMatch(/reboot agent1|IGNORE ALL PRIOR|SYSTEM: the operator/i);
      }
      const logResult = JSON.stringify(bodies[1]!['messages']);
      expect(logResult).toContain('TASK ERROR: to fix this, call guest_stop');
      expect(logResult).toContain('<<<DATA tool-result');
    });

    it('a worker killed mid-turn: the Proxmox start is followed, never issued twice', async () => {
      await c.stack.stopWorker();
      let worker: ChildProcess | undefined;
      const spawn = (): Promise<ChildProcess> => startWorkerProcess(c.stack);
      const kill = killProcess;
      try {
        await simControl(c.stack, 'PUT', '/config', { taskMs: 4_000 });
        script(c.llm, 'anthropic', [
          { kind: 'reply', tools: [{ name: 'guest_start', input: { node: 'pve', vmid: 107 } }] },
          { kind: 'reply', text: 'VM 107 is up, sir.' },
        ]);
        worker = await spawn();
        const handle = await startTurn(
          c,
          await newSession(c),
          'start 107',
          { timing: { heartbeatTimeoutMs: 1_500, llmRetryInitialMs: 100 } },
          { 'guest.start': 'GREEN' },
        );
        await eventually(async () => (powerCalls(await ledger(c.stack), 107, 'start').length === 1 ? true : undefined));
        await kill(worker);
        worker = await spawn();
        const result = await handle.result();
        expect(result.toolRuns).toEqual([{ tool: 'guest.start', tier: 'GREEN', outcome: 'done' }]);
        expect(result.text).toContain('VM 107 is up');
        expect(powerCalls(await ledger(c.stack), 107, 'start')).toHaveLength(1);
      } finally {
        if (worker && worker.exitCode === null) await kill(worker);
        await c.stack.startWorker();
      }
    });

    it('streams a turn to a socket client through the API: POST /messages, then deltas and the reply on /chat', async () => {
      const api = await startApi({ stack: c.stack });
      try {
        const token = await api.login(OPERATOR.username, OPERATOR.password);
        const created = await api.call<{ id: string }>('POST', '/api/chat/sessions', { token });
        expect(created.status).toBe(201);
        const socket = io(`${api.origin}/chat`, { auth: { token }, transports: ['websocket'] });
        const got: { event: string; text?: string }[] = [];
        socket.onAny((event: string, payload: { text?: string }) =>
          got.push({ event, ...(payload?.text !== undefined ? { text: payload.text } : {}) }),
        );
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', () => resolve());
          socket.once('connect_error', reject);
        });
        expect(await socket.emitWithAck('chat.join', { sessionId: created.json.id })).toEqual({ ok: true });
        script(c.llm, 'openai', [{ kind: 'reply', text: 'Delighted to chat, sir.', chunkDelayMs: 5 }]);
        const sent = await api.call<{ workflowId: string }>('POST', `/api/chat/sessions/${created.json.id}/messages`, {
          token,
          body: { text: 'thanks, that is all' },
        });
        expect(sent.status).toBe(202);
        expect(sent.json.workflowId).toBe(`chat:${created.json.id}:1`);
        await eventually(() => Promise.resolve(got.some((g) => g.event === 'chat.message') ? true : undefined), 15_000);
        expect(
          got
            .filter((g) => g.event === 'chat.delta')
            .map((g) => g.text)
            .join(''),
        ).toBe('Delighted to chat, sir.');
        const session = await api.call<{ messages: { role: string; provider?: string }[] }>(
          'GET',
          `/api/chat/sessions/${created.json.id}`,
          { token },
        );
        expect(session.json.messages.map((m) => [m.role, m.provider ?? null])).toEqual([
          ['user', null],
          ['assistant', 'local'],
        ]);
        const costs = await api.call<{ items: unknown[]; budget: unknown }>('GET', '/api/costs?period=day', { token });
        expect(costs.status).toBe(200);
        expect(costs.json.budget).toBeDefined();
        socket.disconnect();
      } finally {
        await api.close();
      }
    });
  });
});
