import { guardianIdFor } from '@jarvis/workflows/api';
import { setKillSwitch } from '../support/vouch';
import { startStack, type TestStack } from '../support/stack';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { eventually, ledger, powerCalls, simControl } from '../support/vm-action.fixtures';
import {
  fastAutonomy,
  phaseOf,
  remediationResult,
  stepsOf,
  terminateStack,
  monitorHasLooked,
} from '../support/remediation.fixtures';

/** The guardian on the real dev server: escalation after three failures, and the kill switch. */
describe('remediation guardrails', () => {
  let stack: TestStack;
  let sink: SmtpSink;
  const starts = async (vmid: number): Promise<number> => powerCalls(await ledger(stack), vmid, 'start').length;
  const killSwitch = (engaged: boolean) => setKillSwitch(stack, engaged);

  beforeAll(async () => {
    sink = await startSmtpSink();
    stack = await startStack({
      autonomy: fastAutonomy(`guard-${Date.now().toString(36)}`),
      notify: { smtpUrl: sink.url, alertEmail: 'ops@example.test' },
    });
    await eventually(() => stack.client.workflow.getHandle(guardianIdFor(stack.cluster)).describe());
    await monitorHasLooked(stack);
  });
  afterAll(async () => {
    if (stack) await terminateStack(stack);
    await stack?.close();
    await sink?.close();
  });
  afterEach(async () => {
    await killSwitch(false);
    await simControl(stack, 'DELETE', '/faults');
  });

  it('a flapping VM is started three times, then the remediation stops and mails a diagnosis', async () => {
    const since = Date.now();
    await simControl(stack, 'POST', '/faults', { kind: 'flapping-guest', vmid: 111 });
    const result = await remediationResult(stack, 'remediate:vm-crashed:111', since, 45_000);
    expect(result).toMatchObject({ outcome: 'escalated', attempts: 3 });
    expect(await starts(111)).toBe(3);
    const mail = await eventually(() => Promise.resolve(sink.messages.find((m) => m.subject?.includes('vm-crashed'))));
    expect(mail.to).toEqual(['ops@example.test']);
    expect(mail.raw).toContain('flapping');
    expect(mail.raw).toContain('remediate:vm-crashed:111');
    const kinds = (await stepsOf(stack, 'remediate:vm-crashed:111', since)).map((s) => s.kind);
    expect(kinds.filter((k) => k === 'unstable')).toHaveLength(3);
    expect(kinds).toEqual(expect.arrayContaining(['guardrail-escalate', 'escalated', 'notified']));
  });

  it('the kill switch holds a new incident, and on release the remediation re-checks and acts', async () => {
    const since = Date.now();
    await killSwitch(true);
    await simControl(stack, 'POST', '/faults', { kind: 'crash-guest', vmid: 108 });
    const id = 'remediate:vm-crashed:108';
    await eventually(async () => {
      return (await phaseOf(stack, id, since)) === 'paused' ? true : undefined;
    }, 15_000);
    await new Promise((r) => setTimeout(r, 1_500)); // longer than a recheck: still nothing may happen
    expect(await starts(108)).toBe(0);

    await killSwitch(false);
    const result = await remediationResult(stack, id, since, 30_000);
    expect(result).toMatchObject({ outcome: 'resolved', attempts: 1 });
    expect(await starts(108)).toBe(1);
  });

  it('the kill switch pauses an in-flight remediation at its next safe point; release resumes it', async () => {
    const since = Date.now();
    const before = await starts(112);
    await simControl(stack, 'POST', '/faults', { kind: 'flapping-guest', vmid: 112 });
    const id = 'remediate:vm-crashed:112';
    // The first restart is issued; engage while its stability window runs.
    await eventually(async () => ((await starts(112)) > before ? true : undefined), 15_000, 20);
    await killSwitch(true);
    await eventually(async () => {
      return (await phaseOf(stack, id, since)) === 'paused' ? true : undefined;
    }, 15_000);
    const held = await starts(112);
    expect(held).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await starts(112)).toBe(held);

    // The guest stops flapping while paused: on release the next attempt starts it and it stays up.
    await simControl(stack, 'DELETE', '/faults');
    await killSwitch(false);
    const result = await remediationResult(stack, id, since, 30_000);
    expect(result).toMatchObject({ outcome: 'resolved', attempts: 2 });
    expect(await starts(112)).toBe(held + 1);
  });
});
