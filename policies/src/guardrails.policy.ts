/**
 * Guardrails for autonomous remediation (ARCHITECTURE.md, "Autonomy" and "Kill switch"): whether
 * a runbook may act on an incident now. A runbook's autonomy level is the operator's standing
 * approval for its YELLOW actions and nothing more: RED always asks, BLACK never runs, and a
 * protected resource stays BLACK whatever the level.
 *
 * Rules run in a fixed order and the first that decides wins. Permanent refusals come first, so a
 * remediation that can never run is refused at once rather than parked behind the kill switch;
 * then escalation; then the temporary holds (kill switch, rate limit, blast radius); and only
 * then the asks and allows. Malformed input never allows.
 */
import { isEntityId, isNodeName, isVmid } from './identifiers';
import { CLUSTER_SUBJECT_NODE, isIncidentClass, type Incident, type IncidentClass } from './incident.policy';
import { findProtected, type ProtectedResources, type ResourceId } from './protected';
import { isTier, maxTier, type Tier } from './tiers';

export const AUTONOMY_LEVELS = ['L0', 'L1', 'L2', 'L3', 'L4'] as const;
/** L0 observe, L1 alert, L2 recommend (asks), L3 act and report, L4 act silently. */
export type AutonomyLevel = (typeof AUTONOMY_LEVELS)[number];

export function isAutonomyLevel(value: unknown): value is AutonomyLevel {
  return typeof value === 'string' && (AUTONOMY_LEVELS as readonly string[]).includes(value);
}

export interface RunbookDeclaration {
  readonly class: IncidentClass;
  readonly autonomy: AutonomyLevel;
  /** The catalog tool the runbook's one corrective step uses; null when it only observes or alerts. */
  readonly actionTool: string | null;
  /** The tier the runbook declares for that action; the stricter of this and the action policy's tier applies. */
  readonly tier: Tier;
  readonly steps: readonly string[];
}

/**
 * The default runbooks. `node.wake`, `service.restart` and `storage.cleanup` are declared here
 * ahead of their catalog entries: until the catalog has them, the action policy rates them BLACK
 * (unknown tool) and these guardrails refuse, which is the safe way round.
 */
export const DEFAULT_RUNBOOKS: Readonly<Record<IncidentClass, RunbookDeclaration>> = deepFreeze({
  'vm-crashed': {
    class: 'vm-crashed',
    autonomy: 'L3',
    actionTool: 'guest.start',
    tier: 'YELLOW',
    steps: ['re-check', 'start-guest', 'verify-running'],
  },
  'node-down': {
    class: 'node-down',
    autonomy: 'L3',
    actionTool: 'node.wake',
    tier: 'YELLOW',
    steps: ['re-check', 'wake-node', 'verify-online'],
  },
  'service-down': {
    class: 'service-down',
    autonomy: 'L3',
    actionTool: 'service.restart',
    tier: 'YELLOW',
    steps: ['re-check', 'restart-service', 'verify-up'],
  },
  'disk-high': {
    class: 'disk-high',
    autonomy: 'L2',
    actionTool: 'storage.cleanup',
    tier: 'YELLOW',
    steps: ['re-check', 'diagnose-usage', 'recommend-cleanup', 'verify-below-threshold'],
  },
  // Not in the spec's defaults; as cautious as disk-high: Jarvis proposes, the operator decides.
  'disk-critical': {
    class: 'disk-critical',
    autonomy: 'L2',
    actionTool: 'storage.cleanup',
    tier: 'YELLOW',
    steps: ['re-check', 'diagnose-usage', 'recommend-cleanup', 'verify-below-threshold'],
  },
  // Freeing memory means stopping something; which guest matters is the operator's call.
  'ram-high': { class: 'ram-high', autonomy: 'L1', actionTool: null, tier: 'YELLOW', steps: ['alert'] },
  // Quorum comes back with the nodes; the node-down runbook is the one that acts.
  'quorum-at-risk': { class: 'quorum-at-risk', autonomy: 'L1', actionTool: null, tier: 'YELLOW', steps: ['alert'] },
});

export type AttemptOutcome = 'succeeded' | 'failed' | 'pending';

/**
 * Why a settled attempt no longer counts, and who said so. `recovered`: a later run of its incident
 * ended in recovery, so it no longer counts toward escalation (it still counts toward the rate
 * limit, which is what stops a flapping guest being restarted without end). `reset`: an operator
 * reset the incident's failures, so it counts toward nothing.
 */
export interface AttemptClearing {
  readonly kind: 'recovered' | 'reset';
  /** Epoch ms. */
  readonly at: number;
  /** The operator, or the run that recovered (`workflowId/runId`). */
  readonly by: string;
}

/** One remediation attempt for an incident, across every run of its workflow. */
export interface RemediationAttempt {
  readonly incidentKey: string;
  /** Epoch ms when the attempt started. */
  readonly at: number;
  readonly outcome: AttemptOutcome;
  /**
   * The identity of the cluster it acted on (see GuardrailInput.cluster); absent in records made
   * before identities were kept, which then count whatever the cluster.
   */
  readonly cluster?: string;
  readonly cleared?: AttemptClearing;
}

/** One attempt in an incident's failure history, as the guardrails view shows it. */
export interface FailureHistoryEntry {
  readonly attemptId: string;
  /** ISO time the attempt started. */
  readonly at: string;
  readonly outcome: AttemptOutcome;
  readonly workflowId: string;
  readonly runId?: string;
  readonly detail?: string;
  /** Whether it counts toward escalating the incident now. */
  readonly counted: boolean;
  /** Recorded against another cluster than the one in front of Jarvis now (it counts for nothing). */
  readonly otherCluster: boolean;
  readonly cleared?: { readonly kind: 'recovered' | 'reset'; readonly at: string; readonly by: string };
}

/** The attempts of one incident key, newest first, and where its escalation count stands. */
export interface IncidentFailureHistory {
  readonly incidentKey: string;
  /** Failed attempts in a row that count now. */
  readonly counted: number;
  /** Whether the next permit request escalates at once (counted reaches the limit). */
  readonly escalates: boolean;
  readonly attempts: readonly FailureHistoryEntry[];
}

export interface InFlightRemediation {
  readonly incidentKey: string;
  /** The node it acts on; `*` (CLUSTER_SUBJECT_NODE) for a cluster-wide action. */
  readonly node: string;
}

export interface GuardrailLimits {
  /** At most this many attempts per incident in any rolling window of `attemptWindowMs`. */
  readonly maxAttempts: number;
  readonly attemptWindowMs: number;
  /** This many failures in a row (no success between them) escalate. */
  readonly maxFailures: number;
  /** Failures older than this are forgotten, so a fault that recurs next week is tried again. */
  readonly failureWindowMs: number;
}

export const DEFAULT_GUARDRAIL_LIMITS: GuardrailLimits = Object.freeze({
  maxAttempts: 3,
  attemptWindowMs: 60 * 60 * 1000,
  maxFailures: 3,
  failureWindowMs: 24 * 60 * 60 * 1000,
});

export interface GuardrailInput {
  readonly incident: Incident;
  readonly runbook: RunbookDeclaration;
  /** Epoch ms; the caller's clock (a workflow's deterministic `Date.now()`). */
  readonly now: number;
  readonly killSwitch: { readonly engaged: boolean };
  /**
   * Attempts already made for any incident (filtered here by key), before the one being decided.
   * The re-check right before a destructive activity is `killSwitchGate`, not this: the attempt
   * in progress would count against its own rate limit.
   */
  readonly attempts: readonly RemediationAttempt[];
  readonly inFlight: readonly InFlightRemediation[];
  /** The action policy's tier for the concrete action on its concrete target (evaluateAction). */
  readonly tier: Tier;
  readonly protectedResources: ProtectedResources;
  readonly limits?: GuardrailLimits;
  /**
   * The identity of the cluster Jarvis acts on now. Attempts recorded against another cluster are
   * ignored; unknown (absent), every attempt counts, which can only tighten the limits.
   */
  readonly cluster?: string;
}

export type GuardrailKind = 'allow' | 'ask' | 'wait' | 'deny' | 'escalate';

export type GuardrailRuleId =
  | 'invalid-input'
  | 'runbook-mismatch'
  | 'protected-resource'
  | 'autonomy-observe'
  | 'autonomy-alert'
  | 'no-action'
  | 'tier-black'
  | 'escalation'
  | 'kill-switch'
  | 'rate-limit'
  | 'blast-radius'
  | 'tier-red'
  | 'autonomy-recommend'
  | 'autonomy-act-and-report'
  | 'autonomy-act-silently';

export interface GuardrailDecision {
  readonly kind: GuardrailKind;
  readonly reason: string;
  readonly ruleId: GuardrailRuleId;
  /** On a rate-limit wait: how long until an attempt frees up. */
  readonly retryAfterMs?: number;
  /** On a blast-radius wait: the remediations in the way. */
  readonly blockedBy?: readonly string[];
  /** On an escalation: the failed attempts it counted, oldest first (the caller's own records). */
  readonly counted?: readonly RemediationAttempt[];
}

const decide = (
  kind: GuardrailKind,
  ruleId: GuardrailRuleId,
  reason: string,
  extra: Pick<GuardrailDecision, 'retryAfterMs' | 'blockedBy' | 'counted'> = {},
): GuardrailDecision => ({ kind, ruleId, reason, ...extra });

/**
 * The kill switch alone, for the check right before every destructive activity. Only an explicit
 * `engaged: false` releases it: a missing or garbled switch counts as engaged.
 */
export function killSwitchGate(killSwitch: unknown): GuardrailDecision {
  const engaged = attempt(() => own(killSwitch, 'engaged')) !== false;
  return engaged
    ? decide('wait', 'kill-switch', 'the kill switch is engaged: no autonomous action starts')
    : decide('allow', 'kill-switch', 'the kill switch is released');
}

export function evaluateGuardrails(input: GuardrailInput): GuardrailDecision {
  return (
    attempt(() => evaluateUnsafe(input)) ??
    decide('deny', 'invalid-input', 'the guardrail input could not be read; nothing runs')
  );
}

function evaluateUnsafe(input: GuardrailInput): GuardrailDecision {
  const incident = readIncident(own(input, 'incident'));
  if (!incident) return decide('deny', 'invalid-input', 'the incident is malformed');
  const now = own(input, 'now');
  if (typeof now !== 'number' || !Number.isFinite(now)) return decide('deny', 'invalid-input', 'no valid current time');
  const runbook = readRunbook(own(input, 'runbook'));
  if (!runbook) return decide('deny', 'invalid-input', 'the runbook declaration is malformed');
  if (runbook.class !== incident.class) {
    return decide(
      'deny',
      'runbook-mismatch',
      `a ${runbook.class} runbook cannot remediate a ${incident.class} incident`,
    );
  }
  const limits = readLimits(own(input, 'limits'));

  for (const resource of subjectResources(incident)) {
    const hit = findProtected(own(input, 'protectedResources') as ProtectedResources, resource);
    if (hit) return decide('deny', 'protected-resource', `${hit.resource} is protected: ${hit.reason}`);
  }

  if (runbook.autonomy === 'L0') return decide('deny', 'autonomy-observe', `${incident.class} is at L0: observe only`);
  if (runbook.autonomy === 'L1') return decide('deny', 'autonomy-alert', `${incident.class} is at L1: alert only`);
  if (runbook.actionTool === null) {
    return decide('deny', 'no-action', `the ${incident.class} runbook declares no action to take`);
  }

  const given = own(input, 'tier');
  const tier: Tier = isTier(given) ? maxTier(given, runbook.tier) : 'BLACK';
  if (tier === 'BLACK') {
    return decide('deny', 'tier-black', `${describeTool(runbook.actionTool)} is BLACK here: it never runs`);
  }

  const mine = readAttempts(own(input, 'attempts'), incident.key, now, readCluster(own(input, 'cluster')));
  const failures = trailingFailures(mine, now - limits.failureWindowMs);
  if (failures.length >= limits.maxFailures) {
    return decide('escalate', 'escalation', `${failures.length} failed attempts in a row: stop and send a diagnosis`, {
      counted: failures.map((f) => f.source as RemediationAttempt),
    });
  }

  const gate = killSwitchGate(own(input, 'killSwitch'));
  if (gate.kind !== 'allow') return gate;

  const inWindow = mine.filter((a) => a.at > now - limits.attemptWindowMs).map((a) => a.at);
  if (inWindow.length >= limits.maxAttempts) {
    inWindow.sort((a, b) => a - b);
    // Enough of the oldest must age out to bring the count below the limit.
    const freeing = inWindow[inWindow.length - limits.maxAttempts] ?? now;
    const retryAfterMs = Math.max(1, freeing + limits.attemptWindowMs - now);
    return decide(
      'wait',
      'rate-limit',
      `${inWindow.length} attempts in the last ${minutes(limits.attemptWindowMs)}; the next may start in ${seconds(retryAfterMs)}`,
      { retryAfterMs },
    );
  }

  const blockers = otherNodesInFlight(own(input, 'inFlight'), incident);
  if (blockers.length > 0) {
    return decide('wait', 'blast-radius', 'another remediation is acting on a different node; one node at a time', {
      blockedBy: blockers,
    });
  }

  if (tier === 'RED') return decide('ask', 'tier-red', `${describeTool(runbook.actionTool)} is RED: it always asks`);
  if (runbook.autonomy === 'L2') {
    return decide(
      'ask',
      'autonomy-recommend',
      `${incident.class} is at L2: recommend ${describeTool(runbook.actionTool)} and ask`,
    );
  }
  return runbook.autonomy === 'L3'
    ? decide('allow', 'autonomy-act-and-report', `${incident.class} is at L3: act and report`)
    : decide('allow', 'autonomy-act-silently', `${incident.class} is at L4: act silently`);
}

// ---- Reading the input: own properties only; a throwing getter is handled by the caller ----

function own(record: unknown, key: string): unknown {
  if (typeof record !== 'object' || record === null) return undefined;
  return Object.prototype.hasOwnProperty.call(record, key) ? (record as Record<string, unknown>)[key] : undefined;
}

function attempt<T>(read: () => T | undefined): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

interface ReadIncident {
  readonly key: string;
  readonly class: IncidentClass;
  readonly node: string;
  readonly vmid?: number;
  readonly service?: string;
}

function readIncident(raw: unknown): ReadIncident | undefined {
  const key = own(raw, 'key');
  const cls = own(raw, 'class');
  const subject = own(raw, 'subject');
  const node = own(subject, 'node');
  const vmid = own(subject, 'vmid');
  const service = own(subject, 'service');
  if (!isEntityId(key) || !isIncidentClass(cls)) return undefined;
  if (!isNodeName(node) && node !== CLUSTER_SUBJECT_NODE) return undefined;
  if (vmid !== undefined && !isVmid(vmid)) return undefined;
  if (service !== undefined && (typeof service !== 'string' || service === '')) return undefined;
  return {
    key,
    class: cls,
    node,
    ...(vmid !== undefined ? { vmid } : {}),
    ...(service !== undefined ? { service } : {}),
  };
}

function readRunbook(raw: unknown): RunbookDeclaration | undefined {
  const cls = own(raw, 'class');
  const autonomy = own(raw, 'autonomy');
  const actionTool = own(raw, 'actionTool');
  const tier = own(raw, 'tier');
  const steps = own(raw, 'steps');
  if (!isIncidentClass(cls) || !isAutonomyLevel(autonomy) || !isTier(tier)) return undefined;
  if (actionTool !== null && (typeof actionTool !== 'string' || actionTool === '')) return undefined;
  return {
    class: cls,
    autonomy,
    actionTool,
    tier,
    steps: Array.isArray(steps) ? steps.filter((s): s is string => typeof s === 'string') : [],
  };
}

/** Operator-tuned limits; a value that is not a positive number falls back to its default, never to "unlimited". */
function readLimits(raw: unknown): GuardrailLimits {
  const pick = (key: keyof GuardrailLimits): number => {
    const value = own(raw, key);
    return typeof value === 'number' && Number.isFinite(value) && value >= 1
      ? Math.floor(value)
      : DEFAULT_GUARDRAIL_LIMITS[key];
  };
  return {
    maxAttempts: pick('maxAttempts'),
    attemptWindowMs: pick('attemptWindowMs'),
    maxFailures: pick('maxFailures'),
    failureWindowMs: pick('failureWindowMs'),
  };
}

/**
 * What acting on the incident changes, for the protected check: the guest, the service and its
 * host, or the node. A cluster-wide incident names no resource here; its concrete action's
 * targets are rated by the action policy, whose tier arrives as `tier`.
 */
function subjectResources(incident: ReadIncident): ResourceId[] {
  const resources: ResourceId[] = [];
  if (incident.service !== undefined) resources.push(`service:${incident.service}`);
  if (incident.vmid !== undefined) resources.push(`guest:${incident.vmid}`);
  else if (incident.node !== CLUSTER_SUBJECT_NODE) resources.push(`node:${incident.node}`);
  return resources;
}

interface ReadAttempt {
  readonly at: number;
  readonly outcome: AttemptOutcome | 'garbled';
  /** A later recovery of its incident closed the run of failures it belonged to. */
  readonly recovered: boolean;
  /** The caller's record, as given. */
  readonly source: unknown;
}

/** A cluster identity as given: a non-empty string, or unknown. */
function readCluster(raw: unknown): string | undefined {
  return typeof raw === 'string' && raw !== '' ? raw : undefined;
}

/**
 * This incident's attempts that count, oldest first. A time that is missing, garbled or in the
 * future counts as now: a corrupt record can only tighten the limits, never loosen them or block
 * forever. Left out: attempts an operator reset, and attempts recorded against another cluster
 * (when both identities are known). A clearing or cluster that cannot be read is no clearing and
 * no other cluster: the attempt counts.
 */
function readAttempts(raw: unknown, incidentKey: string, now: number, cluster: string | undefined): ReadAttempt[] {
  const out: ReadAttempt[] = [];
  for (const entry of Array.isArray(raw) ? (raw as unknown[]) : []) {
    const read = attempt(() => {
      if (own(entry, 'incidentKey') !== incidentKey) return undefined;
      const recordedOn = readCluster(own(entry, 'cluster'));
      if (cluster !== undefined && recordedOn !== undefined && recordedOn !== cluster) return undefined;
      const clearedKind = own(own(entry, 'cleared'), 'kind');
      if (clearedKind === 'reset') return undefined;
      const at = own(entry, 'at');
      const outcome = own(entry, 'outcome');
      const read: ReadAttempt = {
        at: typeof at === 'number' && Number.isFinite(at) && at <= now ? at : now,
        outcome: outcome === 'succeeded' || outcome === 'failed' || outcome === 'pending' ? outcome : 'garbled',
        recovered: clearedKind === 'recovered',
        source: entry,
      };
      return read;
    });
    if (read) out.push(read);
  }
  // Stable: equal times keep their recorded order.
  return out.sort((a, b) => a.at - b.at);
}

/**
 * The failures since the last success or recovery within the window, oldest first; an unreadable
 * outcome counts as a failure.
 */
function trailingFailures(attempts: readonly ReadAttempt[], since: number): ReadAttempt[] {
  const failures: ReadAttempt[] = [];
  for (let i = attempts.length - 1; i >= 0; i -= 1) {
    const a = attempts[i];
    if (!a || a.at <= since || a.outcome === 'succeeded' || a.recovered) break;
    if (a.outcome !== 'pending') failures.unshift(a);
  }
  return failures;
}

/**
 * The failed attempts that count toward escalating an incident now (the same count
 * evaluateGuardrails makes), as the caller's own records, oldest first: for showing an operator
 * why Jarvis stops, or would stop. Malformed input gives an empty list.
 */
export function countedFailures<T extends RemediationAttempt>(input: {
  readonly attempts: readonly T[];
  readonly incidentKey: string;
  readonly now: number;
  readonly cluster?: string;
  readonly limits?: Partial<GuardrailLimits>;
}): T[] {
  return (
    attempt(() => {
      const now = own(input, 'now');
      const key = own(input, 'incidentKey');
      if (typeof now !== 'number' || !Number.isFinite(now) || typeof key !== 'string') return undefined;
      const limits = readLimits(own(input, 'limits'));
      const mine = readAttempts(own(input, 'attempts'), key, now, readCluster(own(input, 'cluster')));
      return trailingFailures(mine, now - limits.failureWindowMs).map((f) => f.source as T);
    }) ?? []
  );
}

/**
 * Remediations of other incidents in flight on another node. One node at a time: a second
 * remediation on the same node keeps the blast radius at that node, so it may go ahead. A
 * cluster-wide remediation conflicts with everything, and an unreadable entry counts as a conflict.
 */
function otherNodesInFlight(raw: unknown, incident: ReadIncident): string[] {
  const blockers: string[] = [];
  for (const entry of Array.isArray(raw) ? (raw as unknown[]) : []) {
    const key = attempt(() => own(entry, 'incidentKey'));
    const node = attempt(() => own(entry, 'node'));
    if (key === incident.key) continue;
    const sameNode = isNodeName(node) && incident.node !== CLUSTER_SUBJECT_NODE && node === incident.node;
    if (!sameNode) blockers.push(isEntityId(key) ? key : '(unreadable in-flight entry)');
  }
  return blockers;
}

/** A tool name as it may appear in an audited reason: quoted, escaped, cut short. */
const describeTool = (name: string): string => JSON.stringify(name.slice(0, 80));
const minutes = (ms: number): string => `${Math.round(ms / 60_000)} min`;
const seconds = (ms: number): string => `${Math.ceil(ms / 1000)} s`;
