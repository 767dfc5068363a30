import { patched, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type * as activities from '@jarvis/activities';
import { DEFAULT_PROTECTED, type LoadedPolicy, type PolicyData } from '@jarvis/policies';

const local = proxyLocalActivities<activities.PolicyActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 10 },
});

/**
 * Marks runs that judge by Jarvis's policy store. A run recorded before it took its policy from
 * its input; replaying such a history, `patched` is false and it judges by that recorded input,
 * as it did then. Every new run, however it was started, loads the policy from the store.
 */
export const POLICY_PATCH = 'policy-from-store-v1';

/** What older workflow inputs carried; read only when replaying a history recorded before the store. */
export interface LegacyPolicyInput {
  /** @deprecated Ignored: the policy comes from Jarvis's store. Kept so old histories replay. */
  readonly policy?: PolicyData;
  /** @deprecated Ignored: the approval rules come from Jarvis's store. Kept so old histories replay. */
  readonly twoPersonRule?: boolean;
}

/**
 * The policy this run judges by: loaded through an activity from Jarvis's own versioned store
 * (so the loaded policy, with its version, is in the history and a replay reproduces it). Policy
 * fields in the input are never read for a new run.
 */
/** The newest policy, loaded now (a long-running workflow told that the store changed). */
export const reloadPolicy = (): Promise<LoadedPolicy> => local.loadPolicy();

export async function loadRunPolicy(
  input: LegacyPolicyInput,
  vouching: Omit<activities.PolicyLoadRequest, 'startedAtMs'> = {},
): Promise<RunPolicy> {
  if (patched(POLICY_PATCH)) {
    // Who asked is checked in the activity, with Node's native Ed25519 (the sandbox's pure-JS one
    // would cost every workflow a few milliseconds of CPU), at the time the run was started.
    const wants = vouching.requester !== undefined || vouching.overrideGrant !== undefined;
    const request = { ...vouching, startedAtMs: workflowInfo().startTime.getTime() };
    return { ...(await local.loadPolicy(wants ? request : undefined)), fromStore: true };
  }
  return {
    fromStore: false,
    version: 0,
    // An old history without a policy in its input cannot exist; if one did, nothing would be allowed.
    policy: input.policy ?? { tiers: {}, protected: DEFAULT_PROTECTED },
    twoPersonRule: input.twoPersonRule ?? true,
    autonomy: {},
    killSwitch: { engaged: false },
  };
}

/**
 * The policy of one run. `fromStore` is false only when replaying a history recorded before the
 * store: such a run also took unsigned decisions, and replays them as it did.
 */
export interface RunPolicy extends activities.LoadedRunPolicy {
  readonly fromStore: boolean;
}
