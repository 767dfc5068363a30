import { Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { createSshPoolFromConfig, type SshRunner } from '@jarvis/activities';
import { API_CONFIG, type ApiConfig } from '../api-config';

/**
 * The SSH pool as an injectable, or its absence: SSH is optional (SSH_* unset), and the
 * terminal and the temperature poller then say "unavailable" instead of failing. The pool's
 * connections close on application shutdown, after the gateways (beforeApplicationShutdown)
 * have ended their sessions.
 */
export class SshAccess implements OnApplicationShutdown {
  constructor(readonly runner: SshRunner | undefined) {}

  get available(): boolean {
    return this.runner !== undefined;
  }

  /** The node names SSH reaches; empty when SSH is not configured. */
  get nodes(): readonly string[] {
    return this.runner?.nodes ?? [];
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner?.close().catch(() => undefined);
  }
}

export const SSH_PROVIDERS: Provider[] = [
  {
    provide: SshAccess,
    useFactory: (config: ApiConfig): SshAccess => {
      const runner = createSshPoolFromConfig(config);
      if (!runner) new Logger('Ssh').log('SSH is not configured (SSH_*): terminal and temperatures are off');
      return new SshAccess(runner ?? undefined);
    },
    inject: [API_CONFIG],
  },
];
