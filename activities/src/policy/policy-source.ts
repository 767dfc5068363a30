import { PolicyStoreRepository } from '@jarvis/db';
import {
  parsePolicyDocument,
  resolvePolicy,
  type LoadedPolicy,
  type PolicyDocument,
  type ProtectedResources,
} from '@jarvis/policies';
import { type Pool } from 'pg';

/** What this process is configured with: the store can add protection, never take it away. */
export interface ConfiguredPolicy {
  readonly protected: ProtectedResources;
  readonly twoPersonRule: boolean;
}

/**
 * Jarvis's policy for one cluster, read from its versioned store and joined with this process's
 * configuration. The one way the worker (and the API) learn the policy: never from a caller.
 */
export class PolicySource {
  private readonly store: PolicyStoreRepository;
  private cached?: { at: number; value: LoadedPolicy };

  constructor(
    pool: Pool,
    readonly cluster: string,
    readonly configured: ConfiguredPolicy,
    /** How long a read may be reused by the change guard (never by `load`). */
    private readonly cacheMs = 2_000,
  ) {
    this.store = new PolicyStoreRepository(pool);
  }

  /** The newest version, read now. */
  async load(): Promise<LoadedPolicy> {
    const v = await this.store.current(this.cluster);
    const value = resolvePolicy(v.version, parsePolicyDocument(v.document), this.configured);
    this.cached = { at: Date.now(), value };
    return value;
  }

  /** The newest version, or one read less than `cacheMs` ago. */
  async recent(): Promise<LoadedPolicy> {
    const c = this.cached;
    return c && Date.now() - c.at < this.cacheMs ? c.value : this.load();
  }

  /** Appends a version when `patch` changes the document; returns the (possibly unchanged) newest. */
  async update(patch: (current: PolicyDocument) => PolicyDocument, by: string, change: string): Promise<LoadedPolicy> {
    const v = await this.store.update(this.cluster, (raw) => ({ ...patch(parsePolicyDocument(raw)) }), by, change);
    this.cached = undefined;
    return resolvePolicy(v.version, parsePolicyDocument(v.document), this.configured);
  }
}
