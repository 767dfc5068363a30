import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { PolicySource } from '@jarvis/activities';
import { type LoadedPolicy, type PolicyDocument } from '@jarvis/policies';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { DecisionSigner } from '../auth/decision-signer';
import { DatabaseService } from '../infra/database.service';

const PUBLISH_RETRY_MS = 5_000;

/**
 * Jarvis's policy as the API sees it: the same versioned store the workflows load from (the API
 * only answers early with it; the workflow judges again). At boot it publishes the public half of
 * the API's signing key there, so workflows can verify what the API vouches for.
 */
@Injectable()
export class PolicyDataService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Policy');
  private readonly source: PolicySource;
  private retry?: NodeJS.Timeout;
  private readonly twoPersonRule: boolean;

  constructor(
    @Inject(API_CONFIG) config: ApiConfig,
    db: DatabaseService,
    private readonly signer: DecisionSigner,
  ) {
    this.twoPersonRule = config.operatorNames.length > 1;
    this.source = new PolicySource(db.pool, config.autonomy.cluster, {
      protected: config.protectedResources,
      twoPersonRule: this.twoPersonRule,
    });
  }

  async current(): Promise<LoadedPolicy> {
    return this.source.load();
  }

  /**
   * The policy a request of this API is judged by. The API knows the operators, so it records the
   * two-person rule their number implies before a request starts (a no-op when the store agrees).
   */
  async forRequest(): Promise<LoadedPolicy> {
    const twoPersonRule = this.twoPersonRule;
    return this.source.update(
      (doc) => (doc.twoPersonRule === twoPersonRule ? doc : { ...doc, twoPersonRule }),
      'jarvis-api',
      `${twoPersonRule ? 'two operators' : 'one operator'} for RED (the API's operators)`,
    );
  }

  /** Appends a version (who, what) when `patch` changes the document. */
  async update(patch: (doc: PolicyDocument) => PolicyDocument, by: string, change: string): Promise<LoadedPolicy> {
    return this.source.update(patch, by, change);
  }

  async onModuleInit(): Promise<void> {
    await this.publishKey();
  }

  onModuleDestroy(): void {
    clearTimeout(this.retry);
  }

  /**
   * The API's verification key, and the two-person rule (on once more than one operator exists:
   * the API knows the operators). Until the key is in the store, workflows refuse every decision
   * (NOT_VOUCHED): keep trying.
   */
  private async publishKey(): Promise<void> {
    const key = this.signer.publicKey;
    const twoPersonRule = this.twoPersonRule;
    try {
      await this.source.update(
        (doc) => ({ ...doc, decisionKey: key, twoPersonRule }),
        'jarvis-api',
        `the API's decision-verification key ${key.keyId}; ${twoPersonRule ? 'two operators' : 'one operator'} for RED`,
      );
    } catch (err) {
      this.logger.warn(`could not publish the decision key yet (${(err as Error).message}); retrying`);
      this.retry = setTimeout(() => void this.publishKey(), PUBLISH_RETRY_MS);
      this.retry.unref();
    }
  }
}
