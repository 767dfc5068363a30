import { clusterIdentityOf, renderEscalation } from '@jarvis/activities';
import { DEFAULT_GUARDRAIL_LIMITS } from '@jarvis/policies';
import {
  failureHistories,
  ledgerAdoptCluster,
  ledgerAllow,
  ledgerClear,
  ledgerReport,
  type GuardianAttempt,
  type GuardianLedger,
} from '@jarvis/workflows/api';

const NOW = Date.UTC(2026, 11, 3, 16);
const MIN = 60_000;
const KEY = 'remediate:node-down:agent';
const incident = {
  key: KEY,
  class: 'node-down' as const,
  severity: 'critical' as const,
  subject: { node: 'agent' },
  evidence: {},
};
const empty: GuardianLedger = { attempts: [], inFlight: [] };

/** Three failed attempts of one run against cluster `lab`, each with what failed. */
function threeFailures(cluster = 'lab/home/AA', runId = 'run-1'): GuardianLedger {
  let ledger = empty;
  for (let i = 1; i <= 3; i++) {
    ledger = ledgerAllow(ledger, { workflowId: KEY, incident, runId, cluster }, `attempt-${i}`, NOW - (4 - i) * MIN);
    ledger = ledgerReport(ledger, {
      attemptId: `attempt-${i}`,
      incidentKey: KEY,
      outcome: 'failed',
      detail: `UPSTREAM: No wake on LAN MAC address defined for 'agent'! ${'x'.repeat(400)}`,
    }).ledger;
  }
  return ledger;
}

describe("the guardian's books: provenance, recovery, reset and the cluster", () => {
  it('an attempt keeps its run, its cluster and (bounded) what failed', () => {
    const [a] = threeFailures().attempts;
    expect(a).toMatchObject({
      incidentKey: KEY,
      workflowId: KEY,
      runId: 'run-1',
      cluster: 'lab/home/AA',
      outcome: 'failed',
    });
    expect(a?.detail?.startsWith('UPSTREAM: No wake on LAN MAC')).toBe(true);
    expect(a?.detail?.length).toBe(300);
  });

  it('a recovery marks the settled attempts of its incident; a reset marks them too, and wins', () => {
    let ledger = ledgerAllow(threeFailures(), { workflowId: KEY, incident, runId: 'run-2' }, 'attempt-4', NOW);
    const recovered = ledgerClear(ledger, KEY, { kind: 'recovered', by: `${KEY}/run-2` }, NOW);
    expect(recovered.cleared).toBe(3);
    // The pending attempt belongs to a remediation still acting.
    expect(recovered.ledger.attempts.map((a) => a.cleared?.kind)).toEqual([
      'recovered',
      'recovered',
      'recovered',
      undefined,
    ]);
    expect(ledgerClear(recovered.ledger, KEY, { kind: 'recovered', by: 'x' }, NOW).cleared).toBe(0);
    ledger = ledgerClear(recovered.ledger, KEY, { kind: 'reset', by: 'alice' }, NOW + 1).ledger;
    expect(ledger.attempts.slice(0, 3).map((a) => a.cleared)).toEqual(
      Array(3).fill({ kind: 'reset', at: NOW + 1, by: 'alice' }),
    );
    // A later recovery leaves a reset as it is; another incident's attempts are untouched.
    expect(ledgerClear(ledger, KEY, { kind: 'recovered', by: 'y' }, NOW + 2).cleared).toBe(0);
    expect(ledgerClear(ledger, 'remediate:node-down:pve', { kind: 'reset', by: 'alice' }, NOW).cleared).toBe(0);
  });

  it('a recovery clears failures only: the attempt that succeeded is not reported as a failure cleared', () => {
    let ledger = ledgerAllow(threeFailures(), { workflowId: KEY, incident, runId: 'run-2' }, 'attempt-4', NOW);
    ledger = ledgerReport(ledger, { attemptId: 'attempt-4', incidentKey: KEY, outcome: 'succeeded' }).ledger;
    const recovered = ledgerClear(ledger, KEY, { kind: 'recovered', by: `${KEY}/run-2` }, NOW);
    expect(recovered.cleared).toBe(3);
    expect(recovered.ledger.attempts.find((a) => a.outcome === 'succeeded')?.cleared).toBeUndefined();
    // A reset clears it as well: the rate limit starts afresh.
    expect(ledgerClear(recovered.ledger, KEY, { kind: 'reset', by: 'alice' }, NOW).cleared).toBe(4);
  });

  it('another cluster drops the settled attempts recorded against the old one, and keeps unlabelled ones', () => {
    const legacy: GuardianAttempt = {
      incidentKey: KEY,
      at: NOW - MIN,
      outcome: 'failed',
      attemptId: 'old',
      workflowId: KEY,
    };
    const ledger = { attempts: [...threeFailures('old-lab/home/AA').attempts, legacy], inFlight: [] };
    const adopted = ledgerAdoptCluster(ledger, 'lab/home/BB');
    expect(adopted.dropped).toBe(3);
    expect(adopted.ledger.attempts).toEqual([legacy]);
    expect(ledgerAdoptCluster(ledger, 'old-lab/home/AA').dropped).toBe(0);
  });

  it('the failure history per incident says which failures count, and why the others do not', () => {
    const limits = DEFAULT_GUARDRAIL_LIMITS;
    const ledger = threeFailures();
    const [h] = failureHistories(ledger.attempts, { now: NOW, limits, cluster: 'lab/home/AA' });
    expect(h).toMatchObject({ incidentKey: KEY, counted: 3, escalates: true });
    expect(h?.attempts.map((a) => a.attemptId)).toEqual(['attempt-3', 'attempt-2', 'attempt-1']);
    expect(h?.attempts.every((a) => a.counted && a.runId === 'run-1' && !a.otherCluster)).toBe(true);

    const reset = ledgerClear(ledger, KEY, { kind: 'reset', by: 'alice' }, NOW).ledger;
    const [after] = failureHistories(reset.attempts, { now: NOW, limits, cluster: 'lab/home/AA' });
    expect(after).toMatchObject({ counted: 0, escalates: false });
    expect(after?.attempts[0]?.cleared).toEqual({ kind: 'reset', at: new Date(NOW).toISOString(), by: 'alice' });

    const [elsewhere] = failureHistories(ledger.attempts, { now: NOW, limits, cluster: 'lab/home/BB' });
    expect(elsewhere).toMatchObject({ counted: 0, escalates: false });
    expect(elsewhere?.attempts.every((a) => a.otherCluster && !a.counted)).toBe(true);
  });
});

describe('clusterIdentityOf: which cluster answers', () => {
  const FP = 'AB:'.repeat(31) + 'AB';
  const status = (over: object = {}) => ({
    clusterName: 'lab',
    quorum: { quorate: true, nodes: 2 },
    members: [
      { name: 'pve', nodeid: 2, online: true, local: false },
      { name: 'home', nodeid: 1, online: false, local: true },
    ],
    dropped: 0,
    ...over,
  });

  it('is the cluster name, the member with the lowest node ID, and its certificate', () => {
    expect(
      clusterIdentityOf(status(), [
        { name: 'home', sslFingerprint: FP },
        { name: 'pve', sslFingerprint: 'CD' },
      ]),
    ).toBe(`lab/home/${'AB'.repeat(32)}`);
  });

  it('is nothing at all when any part cannot be read (never a partial identity)', () => {
    expect(clusterIdentityOf(status(), [{ name: 'pve', sslFingerprint: FP }])).toBeUndefined();
    expect(clusterIdentityOf(status(), [{ name: 'home', sslFingerprint: 'not-a-digest' }])).toBeUndefined();
    expect(clusterIdentityOf(status({ members: [] }), [{ name: 'home', sslFingerprint: FP }])).toBeUndefined();
    expect(
      clusterIdentityOf(status({ clusterName: undefined }), [{ name: 'home', sslFingerprint: FP }]),
    ).toBeUndefined();
  });

  it('a standalone node is its own cluster', () => {
    const alone = status({ clusterName: undefined, members: [{ name: 'home', online: true, local: true }] });
    expect(clusterIdentityOf(alone, [{ name: 'home', sslFingerprint: FP }])).toBe(
      `(standalone)/home/${'AB'.repeat(32)}`,
    );
  });
});

describe('the escalation mail names the failures it counted', () => {
  const base = {
    incidentKey: KEY,
    incidentClass: 'node-down',
    severity: 'critical',
    subject: { node: 'agent' },
    evidence: {},
    detectedAt: '2026-12-03T16:05:00.000Z',
    reason: '3 failed attempts in a row: stop and send a diagnosis',
    attempts: [],
    workflowId: KEY,
  };

  it('lists when, which run and what failed, even when this run made no attempt', () => {
    const { text } = renderEscalation({
      ...base,
      counted: [
        { at: '2026-12-03T16:01:00.000Z', workflowId: KEY, runId: 'run-1', detail: "No wake on LAN MAC for 'agent'!" },
        { at: '2026-12-03T16:02:00.000Z', workflowId: KEY, runId: 'run-1', detail: 'line one\nline two' },
      ],
    });
    expect(text).toContain('Attempts (0):');
    expect(text).toContain('Failed attempts counted (2)');
    expect(text).toContain(`1. 2026-12-03T16:01:00.000Z ${KEY} run run-1: No wake on LAN MAC for 'agent'!`);
    // Text from the cluster stays on its line.
    expect(text).toContain('2. 2026-12-03T16:02:00.000Z');
    expect(text).toContain('line one line two');
  });

  it('says nothing of counted failures when there were none', () => {
    expect(renderEscalation(base).text).not.toContain('counted');
  });
});
