import { randomBytes } from 'node:crypto';
import { type ClusterState } from '@jarvis/activities';
import { type GuestActionAccepted } from '@jarvis/api';
import { startLlmSim, type RunningLlmSim } from '@jarvis/llm-sim';
import { defaultTierTable } from '@jarvis/policies';
import { monitorIdFor, monitorStatusQuery, progressQuery, type VmActionResult } from '@jarvis/workflows/api';
import { anthropicBodies, llmSettings, newSession, startTurn, TEST_KEY } from '../chat/chat.fixtures';
import { AuditRepository, ChatRepository } from '@jarvis/db';
import { fastAutonomy, terminateStack } from '../support/remediation.fixtures';
import { OPERATOR, startStack, type TestStack } from '../support/stack';
import {
  eventually,
  ledger,
  powerCalls,
  simControl,
  startVmAction,
  vmActionInput,
} from '../support/vm-action.fixtures';
import { storePolicy } from '../support/vouch';
import { startApi, type ApiHarness } from './api-harness';

interface Step {
  kind: string;
  title: string;
  detail?: Record<string, unknown>;
}

/**
 * Jarvis on a least-privilege token (the simulator's restricted one, PVEAuditor on / unless a test
 * says otherwise): reads Proxmox refuses degrade what Jarvis knows, never break it, and every
 * refusal is on the record with what the operator can do about it.
 */
describe('a least-privilege Proxmox token', () => {
  let llm: RunningLlmSim;
  let stack: TestStack;
  let api: ApiHarness;
  let token: string;

  const permissions = (body: unknown): Promise<unknown> => simControl(stack, 'PUT', '/permissions', body);
  const timeline = async (workflowId: string): Promise<Step[]> =>
    (await api.call<{ steps: Step[] }>('GET', `/api/workflows/${encodeURIComponent(workflowId)}/timeline`, { token }))
      .json.steps ?? [];

  beforeAll(async () => {
    llm = await startLlmSim({ apiKey: TEST_KEY });
    const cluster = `restricted-${randomBytes(4).toString('hex')}`;
    stack = await startStack({
      restricted: true,
      llm: llmSettings(llm),
      autonomy: fastAutonomy(cluster),
    });
    api = await startApi({ stack });
    token = await api.login(OPERATOR.username, OPERATOR.password);
  }, 60_000);
  afterAll(async () => {
    await terminateStack(stack).catch(() => undefined);
    await api?.close();
    await stack?.close();
    await llm?.close();
  });
  afterEach(async () => {
    await simControl(stack, 'POST', '/reset', {});
  });

  it('the dashboard shows the cluster, and what a refused status read leaves unknown', async () => {
    const res = await api.call<ClusterState>('GET', '/api/cluster', { token });
    expect(res.status).toBe(200);
    expect(res.json.nodes).toHaveLength(4);
    expect(res.json.guests.length).toBeGreaterThan(10);
    expect(res.json.quorum.quorate).toBe(true);
    expect(res.json.unavailable).toBeUndefined();

    // One pool with power, nothing on /: no /cluster/status, only the pool's guests.
    await permissions({ preset: 'pool-power' });
    const partial = await eventually(async () => {
      const r = await api.call<ClusterState>('GET', '/api/cluster', { token });
      return r.status === 200 && r.json.unavailable ? r.json : undefined;
    });
    expect(partial.guests.map((g) => g.vmid)).toEqual([107, 111]);
    expect(partial.nodes).toHaveLength(4);
    expect(partial.quorum.unknown).toBe(true);
    expect(partial.unavailable).toEqual([
      expect.objectContaining({
        read: '/cluster/status',
        code: 'PERMISSION',
        reason: 'Permission check failed (/, Sys.Audit)',
      }),
    ]);
  });

  it('a stop shows its tier, then fails on the record with Proxmox reason and what to grant', async () => {
    await storePolicy(stack, { tiers: { ...defaultTierTable(), 'guest.stop': 'GREEN' } });
    // The API's cluster view (cached for 2 s) sees guest 100 again once the preset is back to auditor.
    await eventually(async () => {
      const r = await api.call<ClusterState>('GET', '/api/cluster', { token });
      return r.json.guests?.some((g) => g.vmid === 100) ? true : undefined;
    });
    const res = await api.call<GuestActionAccepted>('POST', '/api/guests/pve/100/actions', {
      token,
      body: { action: 'stop' },
    });
    expect(res.status).toBe(202);
    expect(res.json.tier).toBe('GREEN');
    const { workflowId } = res.json;
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as VmActionResult;
    expect(result).toMatchObject({
      outcome: 'failed',
      tier: 'GREEN',
      reason: 'PERMISSION: Permission check failed (/vms/100, VM.PowerMgmt)',
    });
    const failed = (await timeline(workflowId)).find((s) => s.kind === 'failed');
    expect(failed?.title).toBe('Proxmox refused: Permission check failed (/vms/100, VM.PowerMgmt)');
    expect(String(failed?.detail?.['advice'])).toContain('VM.PowerMgmt on /vms/100');
    const feed = await api.call<{ items: { workflowId: string; kind: string; title: string }[] }>(
      'GET',
      '/api/feed?source=operator&limit=50',
      { token },
    );
    expect(feed.json.items.filter((i) => i.workflowId === workflowId).map((i) => i.kind)).toContain('failed');
    expect(powerCalls(await ledger(stack), 100, 'stop')).toHaveLength(0);
    // The refused stop leaves no wish behind: a crash of the still-running guest stays a crash.
    const wishes = await stack.pool.query(
      'SELECT desired, source FROM guest_desired_state WHERE cluster = $1 AND vmid = 100',
      [stack.cluster],
    );
    expect(wishes.rows.filter((w: { source: string }) => w.source === workflowId)).toEqual([]);
    await storePolicy(stack, {});
  });

  it('an action that ends before its tier is known answers 202 failed, with the reason', async () => {
    // The API still sees guest 100 (its cluster view is cached for 2 s) when the token loses it.
    let accepted: GuestActionAccepted | undefined;
    for (let attempt = 0; attempt < 3 && !accepted; attempt++) {
      await permissions({ preset: 'auditor' });
      await eventually(async () => {
        const r = await api.call<ClusterState>('GET', '/api/cluster', { token });
        return r.json.guests?.some((g) => g.vmid === 100) ? true : undefined;
      });
      await permissions({ preset: 'none' });
      const res = await api.call<GuestActionAccepted>('POST', '/api/guests/pve/100/actions', {
        token,
        body: { action: 'stop' },
      });
      if (res.status === 202) accepted = res.json;
    }
    expect(accepted).toMatchObject({ state: 'failed', tier: expect.any(String) });
    expect(accepted?.reason).toContain('Permission check failed (/vms/100, VM.Audit)');
    expect((await timeline(accepted!.workflowId)).map((s) => s.kind)).toEqual(['requested', 'failed']);
  });

  it('a refused read before the first step is a recorded, visible failure; a refused HA read is judged RED', async () => {
    // No privileges at all: the guest is hidden from every list, and its status read is refused.
    await permissions({ preset: 'none' });
    const hidden = await startVmAction(stack, vmActionInput({ node: 'pve', vmid: 100, action: 'stop' }));
    const result = await hidden.result();
    expect(result.outcome).toBe('failed');
    expect(result.reason).toContain('Permission check failed (/vms/100, VM.Audit)');
    const steps = await timeline(hidden.workflowId);
    expect(steps.map((s) => s.kind)).toEqual(['requested', 'failed']);
    expect(steps[1]?.title).toMatch(/^Proxmox refused: guest 100 is not visible to the Jarvis API token/);
    expect(String(steps[1]?.detail?.['advice'])).toContain('VM.Audit on /vms/100');

    // The guest readable, HA not (no Sys.Audit on /): HA state unknown, judged as managed.
    await permissions({ acl: { '/vms/100': ['VM.Audit', 'VM.PowerMgmt'] } });
    const ha = await startVmAction(stack, vmActionInput({ node: 'pve', vmid: 100, action: 'stop' }));
    const progress = await eventually(async () => {
      const p = await ha.query(progressQuery);
      return p.tier ? p : undefined;
    });
    expect(progress.tier).toBe('RED');
    const degraded = await eventually(async () => (await timeline(ha.workflowId)).find((s) => s.kind === 'degraded'));
    expect(degraded.title).toContain('HA state unknown');
    expect(degraded.title).toContain('Permission check failed (/, Sys.Audit)');
    await ha.terminate('test done');
  });

  it('a chat turn with Claude still answers and names the tool Proxmox refused', async () => {
    await permissions({ preset: 'pool-power' });
    llm.reset();
    llm.script('anthropic', [
      { kind: 'reply', text: 'Checking, sir. ', tools: [{ name: 'node_status', input: { node: 'pve' } }] },
      { kind: 'reply', text: 'I may not read the status of node pve, sir.' },
    ]);
    const c = { stack, llm, chat: new ChatRepository(stack.pool), close: () => Promise.resolve() };
    const handle = await startTurn(c, await newSession(c), 'How is node pve?');
    const result = await handle.result();
    expect(result.provider).toBe('claude');
    expect(result.text).toContain('I may not read the status of node pve');
    expect(result.toolRuns).toEqual([expect.objectContaining({ tool: 'node.status', outcome: 'failed' })]);
    const toolResult = JSON.stringify((anthropicBodies(llm)[1]?.['messages'] as unknown[]).at(-1));
    expect(toolResult).toContain('"is_error":true');
    expect(toolResult).toContain('node.status failed');
    expect(toolResult).toContain('Permission check failed (/nodes/pve, Sys.Audit)');
    expect(toolResult).toContain('Sys.Audit on /nodes/pve');

    // A guest the token may not see: the model hears that Proxmox refused, not "it does not exist".
    llm.reset();
    llm.script('anthropic', [
      { kind: 'reply', text: 'Stopping it, sir. ', tools: [{ name: 'guest_stop', input: { node: 'pve', vmid: 100 } }] },
      { kind: 'reply', text: 'I am not allowed to see VM 100, sir.' },
    ]);
    const hidden = await (await startTurn(c, await newSession(c), 'Stop VM 100')).result();
    expect(hidden.text).toContain('I am not allowed to see VM 100');
    expect(hidden.toolRuns).toEqual([expect.objectContaining({ tool: 'guest.stop', outcome: 'failed' })]);
    const refusal = JSON.stringify((anthropicBodies(llm)[1]?.['messages'] as unknown[]).at(-1));
    expect(refusal).toContain('Permission check failed (/vms/100, VM.Audit)');
    expect(powerCalls(await ledger(stack), 100, 'stop')).toHaveLength(0);
  });

  it('the monitor keeps polling through refused reads', async () => {
    const monitor = stack.client.workflow.getHandle(monitorIdFor(stack.cluster));
    const before = await eventually(async () => {
      const s = await monitor.query(monitorStatusQuery);
      return s.polls >= 1 ? s : undefined;
    }, 30_000);
    await permissions({ preset: 'pool-power' });
    const after = await eventually(
      async () => {
        const s = await monitor.query(monitorStatusQuery);
        return s.polls >= before.polls + 4 ? s : undefined;
      },
      30_000,
      100,
    );
    expect(after.failing).toBe(false);
    expect((await monitor.describe()).status.name).toBe('RUNNING');
    // What it cannot read is on its record, with Proxmox's reason.
    const partial = await eventually(async () =>
      (await new AuditRepository(stack.pool).forWorkflow(monitorIdFor(stack.cluster))).find(
        (s) => s.kind === 'monitor-partial',
      ),
    );
    expect(partial.title).toContain('Proxmox refused /cluster/status: Permission check failed (/, Sys.Audit)');
  });
});
