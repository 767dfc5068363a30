import {
  decisionFields,
  requesterFields,
  type AutonomyLevel,
  type IncidentClass,
  type PolicyData,
  type Requester,
  type Tier,
  type Voucher,
} from '@jarvis/policies';
import { PolicySource } from '@jarvis/activities';
import { DecisionSigner } from '@jarvis/api';
import { DEFAULT_PROTECTED, defaultTierTable } from '@jarvis/policies';
import { guardianIdFor, reloadPolicyUpdate, type DecisionArgs } from '@jarvis/workflows/api';
import { type Pool } from 'pg';
import { type TestStack } from './stack';

/** What the API holds (the signing key) and Jarvis's policy store of one cluster. */
export type Trust = Pick<TestStack, 'signer' | 'policy'>;

/**
 * A signing key for one test cluster, its public half published in that cluster's policy store,
 * as the API does at boot. `signingKey` is the PEM for JARVIS_SIGNING_KEY.
 */
export async function createTrust(pool: Pool, cluster: string): Promise<Trust & { signingKey: string }> {
  const signingKey = DecisionSigner.generatePem();
  const signer = DecisionSigner.fromSetting(signingKey);
  const policy = new PolicySource(pool, cluster, { protected: DEFAULT_PROTECTED, twoPersonRule: true });
  await policy.update((doc) => ({ ...doc, decisionKey: signer.publicKey }), 'test', 'the test signing key');
  return { signer, policy, signingKey };
}

/** A decision as the API sends it: signed with the stack's key. */
export function signedDecision(stack: Trust, d: Omit<DecisionArgs, 'voucher'>): DecisionArgs {
  return { ...d, voucher: stack.signer.sign('decision', decisionFields(d)) };
}

/** The API's vouching for who asked, for this workflow ID. */
export function requesterVoucher(stack: Trust, workflowId: string, requester: Requester): Voucher {
  return stack.signer.sign('requester', requesterFields({ workflowId, ...requester }));
}

/**
 * Sets this stack's tier table and approval rule in Jarvis's policy store, as an operator's
 * change would: workflows started from now on judge by it.
 */
export async function storePolicy(
  stack: Trust,
  policy: { readonly tiers?: PolicyData['tiers']; readonly twoPersonRule?: boolean },
): Promise<void> {
  // Only the tiers that differ from the defaults are overrides. Requests started together with
  // different overrides (one makes stop GREEN, the other shutdown) add up; a request with none
  // puts the defaults back.
  const defaults = defaultTierTable();
  const changed = Object.entries(policy.tiers ?? {}).filter(([tool, tier]) => defaults[tool] !== tier);
  await stack.policy.update(
    (doc) => ({
      ...doc,
      ...(policy.tiers
        ? {
            tierOverrides:
              changed.length === 0
                ? {}
                : { ...doc.tierOverrides, ...(Object.fromEntries(changed) as Record<string, Tier>) },
          }
        : {}),
      ...(policy.twoPersonRule !== undefined ? { twoPersonRule: policy.twoPersonRule } : {}),
    }),
    'test',
    'test policy',
  );
}

/** The kill switch as the API sets it: stored, then the guardian told to re-read the store. */
export async function setKillSwitch(stack: TestStack, engaged: boolean, by = 'operator'): Promise<void> {
  await stack.policy.update((doc) => ({ ...doc, killSwitch: { engaged, by } }), by, 'test kill switch');
  await reloadGuardian(stack);
}

/** An autonomy level as the API sets it. */
export async function setAutonomy(stack: TestStack, incidentClass: IncidentClass, level: AutonomyLevel): Promise<void> {
  await stack.policy.update(
    (doc) => ({ ...doc, autonomy: { ...doc.autonomy, [incidentClass]: level } }),
    'test',
    'test autonomy',
  );
  await reloadGuardian(stack);
}

async function reloadGuardian(stack: TestStack): Promise<void> {
  await stack.client.workflow
    .getHandle(guardianIdFor(stack.cluster))
    .executeUpdate(reloadPolicyUpdate, { args: [{ reason: 'test' }] });
}
