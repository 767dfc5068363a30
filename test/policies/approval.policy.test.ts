import {
  FORBIDDEN_REFUSALS,
  MALFORMED_REFUSALS,
  evaluateDecision,
  expireIfDue,
  fingerprintAction,
  type ApprovalRequestState,
  type DecisionAttempt,
  type DecisionOutcome,
  type RecordedDecision,
  type RefusalCode,
} from '@jarvis/policies';

const NOW = 1_700_000_000_000;
const TTL = 15 * 60_000;
const FP = fingerprintAction('guest.stop', { node: 'pve1', vmid: 200 });
const ID = 'vm-action:pve1:200:stop:abc:0123456789ab:approval:1';

function request(over: Partial<ApprovalRequestState> = {}): ApprovalRequestState {
  return {
    id: ID,
    tier: 'YELLOW',
    requester: { kind: 'operator', id: 'alice' },
    fingerprint: FP,
    status: 'pending',
    expiresAtMs: NOW + TTL,
    decisions: [],
    twoPersonRule: false,
    resourceName: 'web01',
    ...over,
  };
}

/** A well-formed decision: for this approval, with the fingerprint shown. */
const attempt = (over: Partial<DecisionAttempt> = {}): DecisionAttempt => ({
  approvalId: ID,
  fingerprint: FP,
  by: 'alice',
  byIsOperator: true,
  verdict: 'approve',
  ...over,
});

const approvedBy = (by: string): RecordedDecision => ({ by, verdict: 'approve', atMs: NOW - 1000 });

function expectRefused(outcome: DecisionOutcome, code: RefusalCode): void {
  expect(outcome).toEqual({ kind: 'refuse', code, reason: expect.any(String) });
  if (outcome.kind === 'refuse') expect(outcome.reason.length).toBeGreaterThan(0);
}

function expectAccepted(outcome: DecisionOutcome, next: 'approved' | 'rejected' | 'pending'): void {
  expect(outcome).toEqual({ kind: 'accept', next, reason: expect.any(String) });
}

describe('evaluateDecision: YELLOW', () => {
  it.each([
    [
      'the requesting operator approves their own request',
      { kind: 'operator', id: 'alice' },
      'alice',
      'approve',
      'approved',
    ],
    ['another operator approves', { kind: 'operator', id: 'alice' }, 'bob', 'approve', 'approved'],
    ['the requesting operator rejects', { kind: 'operator', id: 'alice' }, 'alice', 'reject', 'rejected'],
    ['another operator rejects', { kind: 'operator', id: 'alice' }, 'bob', 'reject', 'rejected'],
    ['an operator approves a chat request', { kind: 'chat', id: 'session-1:turn-3' }, 'alice', 'approve', 'approved'],
    [
      'an operator approves a runbook request',
      { kind: 'runbook', id: 'remediate:vm-crashed:101' },
      'bob',
      'approve',
      'approved',
    ],
    ['an operator approves an MCP request', { kind: 'mcp', id: 'client-7' }, 'carol', 'approve', 'approved'],
    ['an operator rejects an MCP request', { kind: 'mcp', id: 'client-7' }, 'carol', 'reject', 'rejected'],
  ] as const)('%s → %s', (_label, requester, by, verdict, next) => {
    expectAccepted(evaluateDecision(request({ requester }), attempt({ by, verdict }), NOW), next);
  });

  it('a YELLOW approval needs no typed name even without two-person rule', () => {
    expectAccepted(
      evaluateDecision(request({ resourceName: 'web01' }), attempt({ typedName: 'wrong' }), NOW),
      'approved',
    );
  });

  it('a YELLOW approval is final even under the two-person rule', () => {
    expectAccepted(evaluateDecision(request({ twoPersonRule: true }), attempt(), NOW), 'approved');
  });
});

describe('evaluateDecision: who may decide', () => {
  it.each([
    ['not an operator', { byIsOperator: false }],
    ['not an operator, rejecting', { byIsOperator: false, verdict: 'reject' as const }],
    ['not an operator, with the right name typed', { byIsOperator: false, typedName: 'web01' }],
    ['an empty name', { by: '' }],
    ['a blank name', { by: '   ' }],
    ['a tab-and-newline name', { by: '\t\n' }],
  ])('%s → NOT_AN_OPERATOR', (_label, over) => {
    expectRefused(evaluateDecision(request(), attempt(over), NOW), 'NOT_AN_OPERATOR');
    expectRefused(evaluateDecision(request({ tier: 'RED' }), attempt(over), NOW), 'NOT_AN_OPERATOR');
    expectRefused(
      evaluateDecision(request({ tier: 'RED', twoPersonRule: true }), attempt(over), NOW),
      'NOT_AN_OPERATOR',
    );
  });

  it('a non-operator is refused for who they are, before the request state is considered', () => {
    expectRefused(
      evaluateDecision(request({ status: 'approved' }), attempt({ byIsOperator: false }), NOW + 2 * TTL),
      'NOT_AN_OPERATOR',
    );
  });
});

describe('evaluateDecision: the request must be pending, current and unexpired', () => {
  it.each(['approved', 'rejected', 'expired'] as const)('a request already %s → NOT_PENDING', (status) => {
    for (const verdict of ['approve', 'reject'] as const) {
      expectRefused(evaluateDecision(request({ status }), attempt({ verdict }), NOW), 'NOT_PENDING');
      expectRefused(
        evaluateDecision(request({ status, tier: 'RED', twoPersonRule: true }), attempt({ verdict }), NOW),
        'NOT_PENDING',
      );
    }
  });

  it.each([
    ['exactly at expiry', 0],
    ['1 ms after expiry', 1],
    ['a day after expiry', 86_400_000],
  ])('%s → EXPIRED', (_label, after) => {
    const r = request();
    for (const verdict of ['approve', 'reject'] as const) {
      expectRefused(evaluateDecision(r, attempt({ verdict }), r.expiresAtMs + after), 'EXPIRED');
    }
  });

  it('1 ms before expiry is still accepted', () => {
    const r = request();
    expectAccepted(evaluateDecision(r, attempt(), r.expiresAtMs - 1), 'approved');
  });

  it.each([
    ['a NaN expiry', request({ expiresAtMs: Number.NaN }), NOW],
    ['a NaN clock', request(), Number.NaN],
    ['an undefined expiry', request({ expiresAtMs: undefined as unknown as number }), NOW],
  ])('%s never counts as unexpired → EXPIRED', (_label, r, now) => {
    expectRefused(evaluateDecision(r, attempt(), now), 'EXPIRED');
  });

  const oneCharChanged = `${FP.slice(0, -1)}${FP.endsWith('0') ? '1' : '0'}`;
  it.each([
    ['a different action', fingerprintAction('guest.stop', { node: 'pve1', vmid: 201 })],
    ['a one-character change', oneCharChanged],
    ['upper case', FP.toUpperCase()],
    ['a trailing space', `${FP} `],
    ['a truncated fingerprint', FP.slice(0, 32)],
  ])('fingerprint with %s → FINGERPRINT_MISMATCH', (_label, fingerprint) => {
    expect(fingerprint).not.toBe(FP);
    for (const verdict of ['approve', 'reject'] as const) {
      expectRefused(evaluateDecision(request(), attempt({ fingerprint, verdict }), NOW), 'FINGERPRINT_MISMATCH');
      expectRefused(
        evaluateDecision(request({ tier: 'RED' }), attempt({ fingerprint, verdict, typedName: 'web01' }), NOW),
        'FINGERPRINT_MISMATCH',
      );
    }
  });

  it('a null fingerprint from a JSON body is not treated as a match', () => {
    expectRefused(
      evaluateDecision(request(), attempt({ fingerprint: null as unknown as string }), NOW),
      'FINGERPRINT_REQUIRED',
    );
  });

  it('the matching fingerprint is accepted', () => {
    expectAccepted(evaluateDecision(request(), attempt({ fingerprint: FP }), NOW), 'approved');
  });
});

/**
 * Adversarial decisions: whatever is missing, malformed or meant for another request is refused,
 * on every tier and verdict. A parse error or missing evidence never allows.
 */
describe('evaluateDecision: missing evidence and malformed decisions never allow', () => {
  const cases: [string, Partial<DecisionAttempt>, Partial<ApprovalRequestState>, RefusalCode][] = [
    ['no fingerprint', { fingerprint: undefined }, {}, 'FINGERPRINT_REQUIRED'],
    ['an empty fingerprint', { fingerprint: '' }, {}, 'FINGERPRINT_REQUIRED'],
    ['a numeric fingerprint', { fingerprint: 42 as unknown as string }, {}, 'FINGERPRINT_REQUIRED'],
    ['an array of fingerprints', { fingerprint: [FP] as unknown as string }, {}, 'FINGERPRINT_REQUIRED'],
    [
      'a request without a fingerprint, and none given',
      { fingerprint: '' },
      { fingerprint: '' },
      'FINGERPRINT_REQUIRED',
    ],
    ['a request with an empty fingerprint', {}, { fingerprint: '' }, 'FINGERPRINT_MISMATCH'],
    ['no approval ID', { approvalId: undefined }, {}, 'APPROVAL_MISMATCH'],
    ['an empty approval ID', { approvalId: '' }, {}, 'APPROVAL_MISMATCH'],
    ['the previous approval of the same run', { approvalId: ID.replace(/1$/, '0') }, {}, 'APPROVAL_MISMATCH'],
    ["another run's approval", { approvalId: ID.replace('0123456789ab', 'ba9876543210') }, {}, 'APPROVAL_MISMATCH'],
    ['an approval ID with a suffix', { approvalId: `${ID}0` }, {}, 'APPROVAL_MISMATCH'],
    ['an approval ID of another type', { approvalId: 1 as unknown as string }, {}, 'APPROVAL_MISMATCH'],
    ['a request whose ID is missing', {}, { id: undefined }, 'APPROVAL_MISMATCH'],
    ['a capitalised verdict', { verdict: 'Approve' as 'approve' }, {}, 'MALFORMED_DECISION'],
    ['a verdict of "yes"', { verdict: 'yes' as 'approve' }, {}, 'MALFORMED_DECISION'],
    ['no verdict', { verdict: undefined }, {}, 'MALFORMED_DECISION'],
    ['byIsOperator as the string "false"', { byIsOperator: 'false' as unknown as boolean }, {}, 'NOT_AN_OPERATOR'],
    ['byIsOperator as 1', { byIsOperator: 1 as unknown as boolean }, {}, 'NOT_AN_OPERATOR'],
    ['no operator name', { by: undefined }, {}, 'NOT_AN_OPERATOR'],
  ];
  const shapes: [string, Partial<ApprovalRequestState>][] = [
    ['YELLOW', {}],
    ['RED, two-person', { tier: 'RED', twoPersonRule: true, decisions: [approvedBy('bob')] }],
    ['RED, name typed', { tier: 'RED' }],
  ];
  const combos = cases.flatMap(([label, over, req, code]) =>
    shapes.flatMap(([shape, base]) =>
      (['approve', 'reject'] as const).map(
        (verdict) => [label, shape, verdict, over, { ...base, ...req }, code] as const,
      ),
    ),
  );

  it.each(combos)('%s (%s, %s) → refused', (_label, _shape, verdict, over, req, code) => {
    const outcome = evaluateDecision(request(req), attempt({ verdict, typedName: 'web01', ...over }), NOW);
    expectRefused(outcome, code);
  });
});

describe('evaluateDecision: RED with the two-person rule', () => {
  const red = (decisions: RecordedDecision[] = []): ApprovalRequestState =>
    request({ tier: 'RED', twoPersonRule: true, requester: { kind: 'chat', id: 'turn-1' }, decisions });

  it('the first approval leaves the request pending', () => {
    expectAccepted(evaluateDecision(red(), attempt({ by: 'alice' }), NOW), 'pending');
  });

  it('the requesting operator may give the first approval', () => {
    const r = request({ tier: 'RED', twoPersonRule: true, requester: { kind: 'operator', id: 'alice' } });
    expectAccepted(evaluateDecision(r, attempt({ by: 'alice' }), NOW), 'pending');
  });

  it.each([
    ['the same name', 'alice'],
    ['the same name with surrounding whitespace', ' alice '],
    ['the same name with a trailing newline', 'alice\n'],
  ])('the first approver again (%s) → SAME_OPERATOR', (_label, by) => {
    expectRefused(evaluateDecision(red([approvedBy('alice')]), attempt({ by }), NOW), 'SAME_OPERATOR');
  });

  it('the first approver again, even with the resource name typed → SAME_OPERATOR', () => {
    expectRefused(
      evaluateDecision(red([approvedBy('alice')]), attempt({ by: 'alice', typedName: 'web01' }), NOW),
      'SAME_OPERATOR',
    );
  });

  it('a second, distinct operator approves it', () => {
    expectAccepted(evaluateDecision(red([approvedBy('alice')]), attempt({ by: 'bob' }), NOW), 'approved');
  });

  it('a second approval still needs the matching fingerprint', () => {
    expectRefused(
      evaluateDecision(red([approvedBy('alice')]), attempt({ by: 'bob', fingerprint: 'f'.repeat(64) }), NOW),
      'FINGERPRINT_MISMATCH',
    );
  });

  it('a second approval after expiry → EXPIRED', () => {
    expectRefused(evaluateDecision(red([approvedBy('alice')]), attempt({ by: 'bob' }), NOW + TTL), 'EXPIRED');
  });

  it.each([
    ['the first approver', 'alice', [approvedBy('alice')]],
    ['a second operator', 'bob', [approvedBy('alice')]],
    ['anyone, before any approval', 'carol', []],
  ])('reject by %s → rejected', (_label, by, decisions) => {
    expectAccepted(evaluateDecision(red(decisions), attempt({ by, verdict: 'reject' }), NOW), 'rejected');
  });

  it('earlier rejections (recorded but not final) do not count as approvals', () => {
    const decisions: RecordedDecision[] = [{ by: 'alice', verdict: 'reject', atMs: NOW - 1 }];
    expectAccepted(evaluateDecision(red(decisions), attempt({ by: 'alice' }), NOW), 'pending');
  });
});

describe('evaluateDecision: RED for a lone operator (typed name)', () => {
  const red = (over: Partial<ApprovalRequestState> = {}): ApprovalRequestState =>
    request({ tier: 'RED', twoPersonRule: false, resourceName: 'web01', ...over });

  it.each([
    ['the exact name', 'web01'],
    ['the name with surrounding spaces', '  web01  '],
    ['the name with a trailing newline', 'web01\n'],
    ['the name with a tab', '\tweb01'],
  ])('%s → approved', (_label, typedName) => {
    expectAccepted(evaluateDecision(red(), attempt({ typedName }), NOW), 'approved');
  });

  it('the requesting operator may confirm with the name typed', () => {
    expectAccepted(
      evaluateDecision(
        red({ requester: { kind: 'operator', id: 'alice' } }),
        attempt({ by: 'alice', typedName: 'web01' }),
        NOW,
      ),
      'approved',
    );
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['blank', '   '],
    ['wrong case', 'WEB01'],
    ['title case', 'Web01'],
    ['Cyrillic е look-alike', 'w\u0435b01'],
    ['Cyrillic о look-alike', 'web\u043e1'],
    ['fullwidth digits', 'web\uff10\uff11'],
    ['a zero-width space inside', 'web\u200b01'],
    ['a prefix', 'web0'],
    ['a longer name', 'web011'],
    ['another guest', 'web02'],
    ['the VMID instead of the name', '200'],
    ['a regex that would match', 'web.1'],
    ['a wildcard', '*'],
  ])('typedName %s → TYPED_NAME_REQUIRED', (_label, typedName) => {
    expectRefused(
      evaluateDecision(red(), attempt(typedName === undefined ? {} : { typedName }), NOW),
      'TYPED_NAME_REQUIRED',
    );
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
  ])('a request whose resource name is %s cannot be confirmed by typing nothing', (_label, resourceName) => {
    expectRefused(evaluateDecision(red({ resourceName }), attempt({ typedName: '' }), NOW), 'TYPED_NAME_REQUIRED');
    expectRefused(evaluateDecision(red({ resourceName }), attempt({ typedName: '   ' }), NOW), 'TYPED_NAME_REQUIRED');
    expectRefused(evaluateDecision(red({ resourceName }), attempt({}), NOW), 'TYPED_NAME_REQUIRED');
  });

  it('a reject needs no typed name', () => {
    expectAccepted(evaluateDecision(red(), attempt({ verdict: 'reject' }), NOW), 'rejected');
  });

  it('the typed-name check still comes after the fingerprint check', () => {
    expectRefused(
      evaluateDecision(red(), attempt({ typedName: 'web01', fingerprint: 'x' }), NOW),
      'FINGERPRINT_MISMATCH',
    );
  });
});

describe('evaluateDecision: a refused decision never yields an accept', () => {
  const states: ApprovalRequestState[] = [
    request(),
    request({ tier: 'RED' }),
    request({ tier: 'RED', twoPersonRule: true }),
    request({ tier: 'RED', twoPersonRule: true, decisions: [approvedBy('alice')] }),
    request({ status: 'approved' }),
    request({ status: 'rejected' }),
    request({ status: 'expired' }),
  ];
  const attempts: DecisionAttempt[] = [
    attempt(),
    attempt({ verdict: 'reject' }),
    attempt({ by: 'bob' }),
    attempt({ byIsOperator: false }),
    attempt({ by: ' ' }),
    attempt({ fingerprint: 'nope' }),
    attempt({ fingerprint: FP, typedName: 'web01' }),
    attempt({ typedName: 'WEB01' }),
    attempt({ fingerprint: undefined }),
    attempt({ approvalId: undefined }),
    attempt({ approvalId: 'other:approval:1' }),
  ];
  const times = [NOW, NOW + TTL - 1, NOW + TTL, NOW + 10 * TTL];
  const combos = states.flatMap((s, si) => attempts.flatMap((a, ai) => times.map((t) => [si, ai, t, s, a] as const)));

  it.each(combos)(
    'state %i, attempt %i, at %i: the outcome is consistent with the rules',
    (_si, _ai, now, state, a) => {
      const outcome = evaluateDecision(state, a, now);
      const mustRefuse =
        !a.byIsOperator ||
        a.by.trim() === '' ||
        state.status !== 'pending' ||
        now >= state.expiresAtMs ||
        a.approvalId !== state.id ||
        a.fingerprint !== state.fingerprint;
      if (mustRefuse) expect(outcome.kind).toBe('refuse');
      if (outcome.kind === 'refuse') {
        expect(outcome).not.toHaveProperty('next');
        expect(typeof outcome.code).toBe('string');
      } else {
        expect(['approved', 'rejected', 'pending']).toContain(outcome.next);
        expect(outcome).not.toHaveProperty('code');
        if (a.verdict === 'reject') expect(outcome.next).toBe('rejected');
        if (a.verdict === 'approve') expect(outcome.next).not.toBe('rejected');
      }
    },
  );

  it('a refusal leaves the request exactly as it was', () => {
    const r = request({ tier: 'RED', twoPersonRule: true, decisions: [approvedBy('alice')] });
    const snapshot = JSON.stringify(r);
    evaluateDecision(r, attempt({ by: 'alice' }), NOW);
    evaluateDecision(r, attempt({ by: 'bob', fingerprint: 'x' }), NOW);
    evaluateDecision(r, attempt({ by: 'bob' }), NOW);
    expect(JSON.stringify(r)).toBe(snapshot);
  });
});

describe('expireIfDue', () => {
  it.each([
    ['pending', -1, 'pending'],
    ['pending', 0, 'expired'],
    ['pending', 1, 'expired'],
    ['approved', 0, 'approved'],
    ['approved', 1, 'approved'],
    ['rejected', 1, 'rejected'],
    ['expired', -1, 'expired'],
    ['expired', 1, 'expired'],
  ] as const)('%s, %i ms after expiry → %s', (status, delta, next) => {
    const r = request({ status });
    expect(expireIfDue(r, r.expiresAtMs + delta)).toBe(next);
  });

  it.each([
    ['a NaN expiry', request({ expiresAtMs: Number.NaN }), NOW],
    ['a NaN clock', request(), Number.NaN],
  ])('a pending request with %s expires', (_label, r, now) => {
    expect(expireIfDue(r, now)).toBe('expired');
  });

  it('agrees with evaluateDecision about expiry', () => {
    const r = request();
    for (const now of [r.expiresAtMs - 1, r.expiresAtMs, r.expiresAtMs + 1]) {
      const expired = expireIfDue(r, now) === 'expired';
      const outcome = evaluateDecision(r, attempt(), now);
      expect(outcome.kind === 'refuse' && outcome.code === 'EXPIRED').toBe(expired);
    }
  });
});

describe('FORBIDDEN_REFUSALS', () => {
  it('holds exactly the refusals that mean "you may not decide this" (403)', () => {
    expect([...FORBIDDEN_REFUSALS].sort()).toEqual([
      'NOT_AN_OPERATOR',
      'NOT_VOUCHED',
      'SAME_OPERATOR',
      'TYPED_NAME_REQUIRED',
    ]);
  });

  it.each(['NOT_PENDING', 'EXPIRED', 'FINGERPRINT_MISMATCH'] as const)(
    '%s is a conflict (409), not forbidden',
    (code) => {
      expect(FORBIDDEN_REFUSALS).not.toContain(code);
    },
  );

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(FORBIDDEN_REFUSALS)).toBe(true);
    expect(Object.isFrozen(MALFORMED_REFUSALS)).toBe(true);
  });

  it('a decision for another approval is a conflict (409); one without a fingerprint is malformed (400)', () => {
    expect(FORBIDDEN_REFUSALS).not.toContain('APPROVAL_MISMATCH');
    expect(MALFORMED_REFUSALS).not.toContain('APPROVAL_MISMATCH');
    expect([...MALFORMED_REFUSALS].sort()).toEqual(['FINGERPRINT_REQUIRED', 'MALFORMED_DECISION']);
  });
});
