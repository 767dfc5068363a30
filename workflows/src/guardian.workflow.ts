import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  DEFAULT_GUARDRAIL_LIMITS,
  DEFAULT_RUNBOOKS,
  INCIDENT_CLASSES,
  evaluateGuardrails,
  isAutonomyLevel,
  isEntityId,
  isIncidentClass,
  killSwitchGate,
  verifyVouch,
  type AutonomyLevel,
  type GuardrailLimits,
  type IncidentClass,
} from '@jarvis/policies';
import {
  checkGateUpdate,
  guardianStateQuery,
  guardianWakeSignal,
  reportOutcomeUpdate,
  requestPermitUpdate,
  setAutonomyUpdate,
  forgetAttemptsUpdate,
  reloadPolicyUpdate,
  reportRecoveryUpdate,
  resetFailuresFields,
  resetFailuresUpdate,
  setKillSwitchUpdate,
  type GuardianAttempt,
  type GuardianInFlight,
  type GuardianInput,
  type KillSwitchView,
  type PermitDecision,
  type PermitRequest,
  type RecoveryReport,
  type ResetFailuresRequest,
} from './guardian.messages';
import { ledgerAdoptCluster, ledgerAllow, ledgerClear, ledgerForget, ledgerReport } from './guardian.ledger';
import { loadRunPolicy, reloadPolicy } from './policy-loader';

const MAX_ANSWERS = 200;
/** Longer than any runbook step takes (a node boot is minutes): past it, a silent holder is presumed gone. */
const IN_FLIGHT_TTL_MS = 30 * 60_000;
/** Attempts carry the cluster they were counted against; another cluster's are dropped. */
const CLUSTER_IDENTITY_PATCH = 'guardian-cluster-identity';

/**
 * The guardrails of one cluster, durable and audited: the kill switch, attempts per incident
 * (rate limit and escalation), and the remediations in flight per node (blast radius). Every
 * decision is an update, so it is in this workflow's history; the judgement itself is the pure
 * evaluateGuardrails. Remediations that must wait are woken by a signal when something they wait
 * on changes (a release, a finished remediation), and also re-ask on their own timer.
 */
export async function guardianWorkflow(input: GuardianInput): Promise<void> {
  const limits: GuardrailLimits = { ...DEFAULT_GUARDRAIL_LIMITS, ...input.limits };
  const carry = input.carry;
  // The kill switch, autonomy levels and protected resources come from Jarvis's policy store, at
  // every start (continue-as-new included) and on `reloadPolicy`; never from whoever started this
  // run. A run recorded before the store replays with what its input carried.
  const run = await loadRunPolicy({});
  let killSwitch: KillSwitchView = run.fromStore ? run.killSwitch : (carry?.killSwitch ?? input.killSwitch);
  let protectedResources = run.fromStore ? run.policy.protected : input.protected;
  // The API's public key: what an operator's reset must be signed with (a run from the store only).
  let decisionKey = run.fromStore ? run.decisionKey?.publicKey : undefined;
  const usedNonces = new Set<string>();
  const autonomy = {
    ...defaultAutonomy(),
    ...(run.fromStore ? run.autonomy : { ...input.autonomy, ...carry?.autonomy }),
  } as Record<IncidentClass, AutonomyLevel>;
  let attempts: GuardianAttempt[] = [...(carry?.attempts ?? [])];
  let inFlight: GuardianInFlight[] = [...(carry?.inFlight ?? [])];
  // The cluster the attempts are counted against, as the remediations last reported it.
  let clusterIdentity: string | undefined = carry?.clusterIdentity;
  const waiters = new Set<string>(carry?.waiters ?? []);
  const answers = new Map<string, PermitDecision>(carry?.answers ?? []);
  const toWake = new Set<string>();
  let handled = 0;
  let attemptSeq = attempts.length;
  const continueAfter = input.continueAsNewAfter ?? 500;

  const wakeAll = (): void => {
    for (const id of waiters) toWake.add(id);
    waiters.clear();
  };
  const prune = (now: number): void => {
    const keep = Math.max(limits.attemptWindowMs, limits.failureWindowMs);
    attempts = attempts.filter((a) => a.at > now - keep || a.outcome === 'pending');
    // A remediation that vanished without reporting (terminated by hand) must not hold its node forever.
    const stale = inFlight.filter((f) => f.since <= now - IN_FLIGHT_TTL_MS);
    if (stale.length > 0) {
      inFlight = inFlight.filter((f) => !stale.includes(f));
      attempts = attempts.map((a) =>
        a.outcome === 'pending' && stale.some((f) => f.incidentKey === a.incidentKey)
          ? { ...a, outcome: 'failed', detail: 'the remediation stopped reporting (presumed gone)' }
          : a,
      );
    }
  };

  const view = () => ({
    cluster: input.cluster,
    killSwitch,
    autonomy: { ...autonomy },
    limits,
    inFlight: [...inFlight],
    attempts: [...attempts],
    waiting: [...waiters],
    ...(clusterIdentity !== undefined ? { clusterIdentity } : {}),
  });
  setHandler(guardianStateQuery, view);

  /** Refuses the updates that carried settings, for a run that reads them from the store. */
  const fromStoreOnly = (what: string): void => {
    if (run.fromStore) {
      throw ApplicationFailure.nonRetryable(
        `this guardian reads ${what} from Jarvis's policy store: change it through Jarvis's API`,
        'USE_POLICY_STORE',
      );
    }
  };

  setHandler(
    reloadPolicyUpdate,
    async () => {
      handled++;
      const next = await reloadPolicy();
      const released = killSwitch.engaged && !next.killSwitch.engaged;
      killSwitch = next.killSwitch;
      protectedResources = next.policy.protected;
      decisionKey = next.decisionKey?.publicKey ?? decisionKey;
      let changed = false;
      for (const cls of INCIDENT_CLASSES) {
        const level = next.autonomy[cls] ?? DEFAULT_RUNBOOKS[cls].autonomy;
        if (autonomy[cls] !== level) changed = true;
        autonomy[cls] = level;
      }
      if (released || changed) wakeAll();
      return view();
    },
    {
      validator: (args: { reason: string }) => {
        if (typeof (args as Partial<typeof args> | undefined)?.reason !== 'string') {
          throw ApplicationFailure.nonRetryable('say why the policy is reloaded', 'BAD_REQUEST');
        }
      },
      description: "Re-read the kill switch, autonomy and protected resources from Jarvis's policy store.",
    },
  );

  setHandler(
    requestPermitUpdate,
    (req) => {
      handled++;
      const known = answers.get(req.requestId);
      if (known) return known;
      const now = Date.now();
      prune(now);
      const cluster = typeof req.cluster === 'string' && req.cluster !== '' ? req.cluster : undefined;
      if (cluster !== undefined && cluster !== clusterIdentity && patched(CLUSTER_IDENTITY_PATCH)) {
        // Another cluster than the attempts were counted against: its books do not apply here.
        attempts = [...ledgerAdoptCluster({ attempts, inFlight }, cluster).ledger.attempts];
        clusterIdentity = cluster;
      }
      const level = autonomy[req.incident.class];
      const runbook = { ...DEFAULT_RUNBOOKS[req.incident.class], autonomy: level };
      const decision = evaluateGuardrails({
        incident: req.incident,
        runbook,
        now,
        killSwitch,
        attempts,
        inFlight: inFlight.map(({ incidentKey, node }) => ({ incidentKey, node })),
        tier: req.tier,
        protectedResources,
        limits,
        ...(cluster !== undefined ? { cluster } : {}),
      });
      const approved = decision.kind === 'ask' && req.approvedBy !== undefined;
      const kind = approved ? 'allow' : decision.kind;
      const mine = attempts.filter((a) => a.incidentKey === req.incident.key && a.at > now - limits.attemptWindowMs);
      const { counted, ...rest } = decision;
      let answer: PermitDecision = {
        ...rest,
        ...(counted ? { counted: attempts.filter((a) => counted.includes(a)) } : {}),
        kind,
        ...(approved ? { reason: `${decision.reason}; approved by ${req.approvedBy}` } : {}),
        autonomy: level,
        attemptsInWindow: mine.length,
      };
      if (kind === 'allow') {
        const attemptId = `attempt-${++attemptSeq}`;
        const next = ledgerAllow({ attempts, inFlight }, req, attemptId, now);
        attempts = [...next.attempts];
        inFlight = [...next.inFlight];
        answer = { ...answer, attemptId, attemptsInWindow: mine.length + 1 };
        waiters.delete(req.workflowId);
      } else if (kind === 'wait') {
        waiters.add(req.workflowId);
      } else {
        // deny, escalate, ask: this remediation holds no slot while it is not acting.
        if (inFlight.some((f) => f.incidentKey === req.incident.key)) {
          inFlight = inFlight.filter((f) => f.incidentKey !== req.incident.key);
          wakeAll();
        }
      }
      answers.set(req.requestId, answer);
      if (answers.size > MAX_ANSWERS) answers.delete(answers.keys().next().value!);
      return answer;
    },
    {
      validator: (req: PermitRequest) => {
        const r = req as Partial<PermitRequest> | undefined;
        if (!r || typeof r.requestId !== 'string' || !isIncidentClass(r.incident?.class)) {
          throw ApplicationFailure.nonRetryable('malformed permit request', 'BAD_REQUEST');
        }
      },
      description: 'May this remediation act now? allow, ask, wait, deny or escalate.',
    },
  );

  setHandler(reportOutcomeUpdate, (report) => {
    handled++;
    const { ledger, freed } = ledgerReport({ attempts, inFlight }, report);
    attempts = [...ledger.attempts];
    inFlight = [...ledger.inFlight];
    if (freed) wakeAll();
  });

  setHandler(
    reportRecoveryUpdate,
    (report: RecoveryReport) => {
      handled++;
      const { ledger, cleared } = ledgerClear(
        { attempts, inFlight },
        report.incidentKey,
        { kind: 'recovered', by: `${report.workflowId}/${report.runId}` },
        Date.now(),
      );
      attempts = [...ledger.attempts];
      return { cleared };
    },
    {
      validator: (report: RecoveryReport) => {
        const r = report as Partial<RecoveryReport> | undefined;
        if (!isEntityId(r?.incidentKey) || typeof r.workflowId !== 'string' || typeof r.runId !== 'string') {
          throw ApplicationFailure.nonRetryable('malformed recovery report', 'BAD_REQUEST');
        }
      },
      description: "A remediation ended in recovery: its incident's failures no longer count toward escalation.",
    },
  );

  setHandler(
    resetFailuresUpdate,
    (req: ResetFailuresRequest) => {
      handled++;
      const { ledger, cleared } = ledgerClear(
        { attempts, inFlight },
        req.incidentKey,
        { kind: 'reset', by: req.by },
        Date.now(),
      );
      attempts = [...ledger.attempts];
      if (req.voucher?.nonce) usedNonces.add(req.voucher.nonce);
      // A remediation held by the rate limit may go now.
      wakeAll();
      return { reset: cleared };
    },
    {
      validator: (req: ResetFailuresRequest) => {
        const r = req as Partial<ResetFailuresRequest> | undefined;
        if (!isEntityId(r?.incidentKey)) throw ApplicationFailure.nonRetryable('unknown incident key', 'BAD_REQUEST');
        if (typeof r.by !== 'string' || r.by === '' || typeof r.reason !== 'string' || r.reason === '') {
          throw ApplicationFailure.nonRetryable('who resets the failures, and why, must be given', 'BAD_REQUEST');
        }
        if (run.fromStore) {
          const check = verifyVouch(
            decisionKey,
            'forget-attempts',
            resetFailuresFields(r),
            r.voucher,
            Date.now(),
            usedNonces,
          );
          if (!check.ok) throw ApplicationFailure.nonRetryable(check.reason, 'NOT_VOUCHED');
        }
      },
      description: "An operator resets one incident's failures: they count toward nothing from now on.",
    },
  );

  setHandler(checkGateUpdate, (req) => {
    handled++;
    const gate = killSwitchGate(killSwitch);
    if (gate.kind !== 'allow') waiters.add(req.workflowId);
    return gate;
  });

  setHandler(
    setKillSwitchUpdate,
    ({ engaged, by }) => {
      handled++;
      killSwitch = { engaged, by, at: new Date(Date.now()).toISOString() };
      if (!engaged) wakeAll();
      return killSwitch;
    },
    {
      validator: (args: { engaged: boolean; by: string }) => {
        fromStoreOnly('the kill switch');
        const a = args as Partial<typeof args> | undefined;
        if (typeof a?.engaged !== 'boolean' || typeof a.by !== 'string' || a.by === '') {
          throw ApplicationFailure.nonRetryable('engaged must be a boolean and by an operator', 'BAD_REQUEST');
        }
      },
    },
  );

  setHandler(
    forgetAttemptsUpdate,
    () => {
      handled++;
      const { ledger, forgotten } = ledgerForget({ attempts, inFlight });
      attempts = [...ledger.attempts];
      wakeAll();
      return { forgotten };
    },
    {
      validator: (args: { by: string; reason: string }) => {
        const a = args as Partial<typeof args> | undefined;
        if (typeof a?.by !== 'string' || a.by === '' || typeof a.reason !== 'string' || a.reason === '') {
          throw ApplicationFailure.nonRetryable('who forgets the attempts, and why, must be given', 'BAD_REQUEST');
        }
      },
    },
  );

  setHandler(
    setAutonomyUpdate,
    ({ incidentClass, level }) => {
      handled++;
      autonomy[incidentClass] = level;
      wakeAll();
      return { ...autonomy };
    },
    {
      validator: (args: { incidentClass: IncidentClass; level: AutonomyLevel }) => {
        fromStoreOnly('autonomy levels');
        const a = args as Partial<typeof args> | undefined;
        if (!isIncidentClass(a?.incidentClass) || !isAutonomyLevel(a?.level)) {
          throw ApplicationFailure.nonRetryable('unknown incident class or autonomy level', 'BAD_REQUEST');
        }
      },
    },
  );

  for (;;) {
    await condition(() => toWake.size > 0 || handled >= continueAfter || workflowInfo().continueAsNewSuggested);
    for (const id of [...toWake]) {
      toWake.delete(id);
      try {
        await getExternalWorkflowHandle(id).signal(guardianWakeSignal, { reason: 'guardrails changed' });
      } catch {
        // It finished meanwhile; a remediation that still waits re-asks on its own timer anyway.
      }
    }
    if (toWake.size === 0 && (handled >= continueAfter || workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      if (toWake.size > 0) continue;
      return continueAsNew<typeof guardianWorkflow>({
        ...input,
        carry: {
          attempts,
          inFlight,
          waiters: [...waiters],
          answers: [...answers.entries()].slice(-MAX_ANSWERS),
          killSwitch,
          autonomy: { ...autonomy },
          ...(clusterIdentity !== undefined ? { clusterIdentity } : {}),
        },
      });
    }
  }
}

function defaultAutonomy(): Record<IncidentClass, AutonomyLevel> {
  return Object.fromEntries(INCIDENT_CLASSES.map((c) => [c, DEFAULT_RUNBOOKS[c].autonomy])) as Record<
    IncidentClass,
    AutonomyLevel
  >;
}
