import { type LoadedPolicy } from '@jarvis/policies';
import { type PolicySource } from './policy-source';

/** The policy every workflow judges by, from Jarvis's own store; its result is in the history. */
export function createPolicyActivities({ source }: { source: PolicySource }) {
  return {
    async loadPolicy(): Promise<LoadedPolicy> {
      return source.load();
    },
  };
}

export type PolicyActivities = ReturnType<typeof createPolicyActivities>;
