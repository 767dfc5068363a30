/**
 * The policy Jarvis keeps in its own versioned store (Postgres, `policy_versions`): the operator's
 * tier overrides and autonomy levels, the protected resources and approval rules from Jarvis's
 * configuration, and the API's decision-verification key. Workflows load it through an activity
 * and never take it from their input: whoever reaches Temporal directly cannot bring their own.
 */
import { type PolicyData } from './action.policy';
import { defaultTierTable, findTool } from './catalog';
import { isAutonomyLevel, DEFAULT_RUNBOOKS, type AutonomyLevel } from './guardrails.policy';
import { isIncidentClass, type IncidentClass } from './incident.policy';
import { parseProtected, type ProtectedResources } from './protected';
import { isTier, type Tier } from './tiers';

export interface DecisionKey {
  readonly alg: 'Ed25519';
  /** The raw 32-byte public key, base64url. */
  readonly publicKey: string;
  /** A short ID of the key (hex of its SHA-256 head), to tell rotations apart in the audit. */
  readonly keyId: string;
}

/** The kill switch as stored: engaged stops every remediation before it acts. */
export interface StoredKillSwitch {
  readonly engaged: boolean;
  readonly by?: string;
  readonly at?: string;
}

export interface PolicyDocument {
  readonly tierOverrides: Readonly<Record<string, Tier>>;
  readonly autonomy: Readonly<Partial<Record<IncidentClass, AutonomyLevel>>>;
  /** Written by the worker from its configuration (JARVIS_PROTECTED). */
  readonly protected?: ProtectedResources;
  /** Two distinct operators for RED: on once more than one operator exists. */
  readonly twoPersonRule?: boolean;
  /** Written by the API at boot from JARVIS_SIGNING_KEY: the public half only. */
  readonly decisionKey?: DecisionKey;
  /** Written by the API when an operator engages or releases it. */
  readonly killSwitch?: StoredKillSwitch;
}

/** What a workflow gets: the policy it judges by, and the store version it came from. */
export interface LoadedPolicy {
  readonly version: number;
  readonly policy: PolicyData;
  readonly twoPersonRule: boolean;
  readonly autonomy: Readonly<Partial<Record<IncidentClass, AutonomyLevel>>>;
  readonly killSwitch: StoredKillSwitch;
  readonly decisionKey?: DecisionKey;
}

export const EMPTY_POLICY_DOCUMENT: PolicyDocument = Object.freeze({ tierOverrides: {}, autonomy: {} });

/**
 * A stored document as Jarvis trusts it: unknown tools, tiers, classes and levels are dropped
 * (a hand-edited row cannot smuggle them in), a malformed protected set or key is left out.
 */
export function parsePolicyDocument(raw: unknown): PolicyDocument {
  const r = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const tierOverrides: Record<string, Tier> = {};
  for (const [tool, tier] of Object.entries(asRecord(r['tierOverrides']))) {
    if (findTool(tool) && isTier(tier)) tierOverrides[tool] = tier;
  }
  const autonomy: Partial<Record<IncidentClass, AutonomyLevel>> = {};
  for (const [cls, level] of Object.entries(asRecord(r['autonomy']))) {
    if (isIncidentClass(cls) && isAutonomyLevel(level) && DEFAULT_RUNBOOKS[cls]) autonomy[cls] = level;
  }
  let protectedResources: ProtectedResources | undefined;
  try {
    protectedResources = r['protected'] === undefined ? undefined : parseProtected(r['protected']);
  } catch {
    protectedResources = undefined;
  }
  const key = asRecord(r['decisionKey']);
  const decisionKey =
    key['alg'] === 'Ed25519' &&
    typeof key['publicKey'] === 'string' &&
    /^[A-Za-z0-9_-]{43}$/.test(key['publicKey']) &&
    typeof key['keyId'] === 'string'
      ? { alg: 'Ed25519' as const, publicKey: key['publicKey'], keyId: key['keyId'].slice(0, 64) }
      : undefined;
  const ks = asRecord(r['killSwitch']);
  // A malformed switch reads as released: it is an extra brake, not a gate on operators.
  const killSwitch: StoredKillSwitch = {
    engaged: ks['engaged'] === true,
    ...(typeof ks['by'] === 'string' ? { by: ks['by'].slice(0, 200) } : {}),
    ...(typeof ks['at'] === 'string' ? { at: ks['at'].slice(0, 40) } : {}),
  };
  return {
    tierOverrides,
    autonomy,
    ...(r['killSwitch'] === undefined ? {} : { killSwitch }),
    ...(protectedResources ? { protected: protectedResources } : {}),
    ...(typeof r['twoPersonRule'] === 'boolean' ? { twoPersonRule: r['twoPersonRule'] } : {}),
    ...(decisionKey ? { decisionKey } : {}),
  };
}

/**
 * The policy a workflow judges by. The protected set is the union of what the store records and
 * what the loading worker is configured with: neither can unprotect what the other protects.
 */
export function resolvePolicy(
  version: number,
  doc: PolicyDocument,
  configured: { readonly protected: ProtectedResources; readonly twoPersonRule: boolean },
): LoadedPolicy {
  return {
    version,
    policy: {
      tiers: { ...defaultTierTable(), ...doc.tierOverrides },
      protected: doc.protected ? mergeProtected(configured.protected, doc.protected) : configured.protected,
    },
    twoPersonRule: doc.twoPersonRule ?? configured.twoPersonRule,
    autonomy: doc.autonomy,
    killSwitch: doc.killSwitch ?? { engaged: false },
    ...(doc.decisionKey ? { decisionKey: doc.decisionKey } : {}),
  };
}

function mergeProtected(a: ProtectedResources, b: ProtectedResources): ProtectedResources {
  const sameJarvis = a.jarvis.vmid === b.jarvis.vmid && a.jarvis.node === b.jarvis.node;
  const guests = [...(a.guests ?? []), ...(b.guests ?? [])];
  if (!sameJarvis) guests.push({ vmid: b.jarvis.vmid, node: b.jarvis.node, reason: "Jarvis's VM (as stored)" });
  return {
    jarvis: a.jarvis,
    guests,
    nodes: [...(a.nodes ?? []), ...(b.nodes ?? [])],
    services: [...(a.services ?? []), ...(b.services ?? [])],
  };
}

const asRecord = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
