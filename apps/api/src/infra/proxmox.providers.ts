import { Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { ClusterSnapshot, ProxmoxClient } from '@jarvis/activities';
import { pveClientSettings } from '@jarvis/config';
import { API_CONFIG, type ApiConfig } from '../api-config';

/** ProxmoxClient with a shutdown hook, so its keep-alive sockets close with the app. */
class ManagedProxmoxClient extends ProxmoxClient implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await this.close().catch(() => undefined);
  }
}

export const PROXMOX_PROVIDERS: Provider[] = [
  {
    provide: ProxmoxClient,
    useFactory: (config: ApiConfig): ProxmoxClient => {
      const logger = new Logger('Proxmox');
      return new ManagedProxmoxClient({
        ...pveClientSettings(config.pve),
        // An API request should not wait PVE's full 15 s default before the operator hears.
        timeoutMs: 10_000,
        // Failover and endpoints coming back: addresses and error texts only.
        onEvent: (message) => logger.log(message),
      });
    },
    inject: [API_CONFIG],
  },
  {
    // One snapshot for every HTTP request and socket: PVE sees at most one fetch per TTL.
    provide: ClusterSnapshot,
    useFactory: (client: ProxmoxClient): ClusterSnapshot => new ClusterSnapshot({ client, ttlMs: 2000 }),
    inject: [ProxmoxClient],
  },
];
