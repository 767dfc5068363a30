import { Inject, Injectable } from '@nestjs/common';
import { ProxmoxClient, readPermissionReport, readTaskVisibility, type EndpointStatus } from '@jarvis/activities';
import { SettingsRepository } from '@jarvis/db';
import { describeMissing } from '@jarvis/policies';
import { monitorIdFor, monitorStatusQuery } from '@jarvis/workflows/api';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { DatabaseService } from '../infra/database.service';
import { TemporalService } from '../infra/temporal.service';
import { StuckWorkflowsService, type StuckWorkflow } from './stuck-workflows.service';

export type ComponentStatus = 'ok' | 'degraded' | 'down';

export interface ComponentHealth {
  readonly status: ComponentStatus;
  readonly latencyMs: number;
  readonly detail?: string;
}

export interface HealthReport {
  readonly status: ComponentStatus;
  readonly components: Record<string, ComponentHealth>;
  /** Only for an authenticated caller: the workflows stuck on a failing workflow task. */
  readonly stuckWorkflows?: readonly StuckWorkflow[];
  /** Only for an authenticated caller: the Proxmox API endpoints and their states (addresses, errors). */
  readonly proxmoxEndpoints?: readonly EndpointStatus[];
}

const PROBE_TIMEOUT_MS = 2000;
/** The Temporal ping's own deadline, under the probe's: the race must never abandon a gRPC call still retrying. */
const TEMPORAL_DEADLINE_MS = 1500;
// /health needs no token, so without this anyone could make the API hit PVE and Postgres per request.
const CACHE_MS = 1000;

/** Critical components: without them nothing can be started, listed or decided. */
const CRITICAL = ['temporal', 'database'];
/**
 * With autonomous monitoring on, a Jarvis that is not watching is not up: until the monitor has
 * taken its first look (or when no worker answers for it), a crash would go unseen.
 */
const CRITICAL_WHEN_AUTONOMOUS = ['monitor'];

async function probe(run: () => Promise<unknown>, downDetail: (err: Error) => string): Promise<ComponentHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    return { status: 'ok', latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), detail: downDetail(err as Error) };
  } finally {
    clearTimeout(timer);
  }
}

@Injectable()
export class HealthService {
  private cached?: { at: number; report: Promise<HealthReport> };

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly temporal: TemporalService,
    private readonly database: DatabaseService,
    private readonly proxmox: ProxmoxClient,
    private readonly stuck: StuckWorkflowsService,
    private readonly settings: SettingsRepository,
  ) {}

  /** The report with, for an operator, which workflows are stuck (IDs stay out of the public answer). */
  async detailed(): Promise<HealthReport> {
    const [report, stuckWorkflows] = await Promise.all([this.check(), this.stuck.list().catch(() => [])]);
    return { ...report, stuckWorkflows, proxmoxEndpoints: this.proxmox.endpoints() };
  }

  check(): Promise<HealthReport> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) this.cached = { at: now, report: this.run() };
    return this.cached.report;
  }

  private async run(): Promise<HealthReport> {
    const [temporal, database, proxmox, monitor, workflows, proxmoxTasks, proxmoxPermissions] = await Promise.all([
      probe(
        () => this.temporal.ping(TEMPORAL_DEADLINE_MS),
        () => `unreachable at ${this.config.temporal.address}`,
      ),
      probe(
        () => this.database.ping(),
        () => 'unreachable',
      ),
      this.proxmoxHealth(),
      this.monitor(),
      this.workflows(),
      this.proxmoxTasks(),
      this.proxmoxPermissions(),
    ]);
    const llmConfigured = Boolean(this.config.anthropic ?? this.config.localLlm);
    const components: Record<string, ComponentHealth> = {
      temporal,
      database,
      proxmox,
      monitor,
      workflows,
      proxmoxTasks,
      proxmoxPermissions,
      // Not probed: no LLM client lives in the API yet; configured means the router may use it.
      llm: llmConfigured
        ? {
            status: 'ok',
            latencyMs: 0,
            detail: `configured: ${[this.config.anthropic ? 'claude' : '', this.config.localLlm ? 'local' : '', 'offline'].filter(Boolean).join(', ')}`,
          }
        : { status: 'degraded', latencyMs: 0, detail: 'not configured: chat uses the offline command parser' },
      tts: { status: 'degraded', latencyMs: 0, detail: 'not configured' },
    };
    const entries = Object.entries(components);
    const critical = this.config.autonomy.autostart ? [...CRITICAL, ...CRITICAL_WHEN_AUTONOMOUS] : CRITICAL;
    const status: ComponentStatus = entries.some(([name, c]) => critical.includes(name) && c.status === 'down')
      ? 'down'
      : entries.every(([, c]) => c.status === 'ok')
        ? 'ok'
        : 'degraded';
    return { status, components };
  }

  /**
   * The Proxmox API through the client's failover: down when no endpoint answers, degraded when
   * one answers but a trusted endpoint is down; the detail says which endpoint is in use.
   */
  private async proxmoxHealth(): Promise<ComponentHealth> {
    const reached = await probe(
      () => this.proxmox.version({ timeoutMs: TEMPORAL_DEADLINE_MS }),
      (err) => err.message.slice(0, 200),
    );
    return proxmoxComponent(reached, this.proxmox.endpoints());
  }

  /** Workflows stuck on a failing workflow task: a bug that must surface, never a silent retry loop. */
  private async workflows(): Promise<ComponentHealth> {
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    try {
      const stuck = await this.stuck.list();
      if (stuck.length === 0) return { status: 'ok', latencyMs: ms() };
      return {
        status: 'degraded',
        latencyMs: ms(),
        detail: `${stuck.length} workflow${stuck.length === 1 ? ' is' : 's are'} stuck on a failing workflow task`,
      };
    } catch (err) {
      return { status: 'degraded', latencyMs: ms(), detail: `not checked: ${(err as Error).message.slice(0, 160)}` };
    }
  }

  /**
   * Whether Jarvis sees other users' Proxmox tasks (the token's Sys.Audit, as the worker last
   * checked): without it a stop made in Proxmox's UI looks like a crash, and the crashed-VM
   * runbook asks instead of acting.
   */
  private async proxmoxTasks(): Promise<ComponentHealth> {
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    try {
      const v = await readTaskVisibility(this.settings, this.config.autonomy.cluster);
      if (!v) return { status: 'degraded', latencyMs: ms(), detail: 'not checked yet (no worker has looked)' };
      return { status: v.othersVisible ? 'ok' : 'degraded', latencyMs: ms(), detail: v.reason };
    } catch {
      return { status: 'degraded', latencyMs: ms(), detail: 'unknown: the database could not be read' };
    }
  }

  /**
   * What the Proxmox token can do, as last checked: ok when every capability is available. The
   * detail (which capability lacks which privilege) is an operator's only, like every detail.
   */
  private async proxmoxPermissions(): Promise<ComponentHealth> {
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    try {
      const report = await readPermissionReport(this.settings, this.config.autonomy.cluster);
      if (!report) return { status: 'degraded', latencyMs: ms(), detail: 'not checked yet' };
      if (report.error !== undefined)
        return { status: 'degraded', latencyMs: ms(), detail: `not readable: ${report.error.slice(0, 160)}` };
      const short = report.capabilities.filter((c) => c.status !== 'available');
      if (short.length === 0)
        return { status: 'ok', latencyMs: ms(), detail: `${report.tokenUser}: every capability available` };
      const detail = short
        .map((c) =>
          c.status === 'partial'
            ? `${c.id} partial (on ${c.grantedOn.join(', ')})`
            : `${c.id} unavailable (needs ${describeMissing(c.missing)})`,
        )
        .join('; ');
      return { status: 'degraded', latencyMs: ms(), detail: `${report.tokenUser}: ${detail}`.slice(0, 1000) };
    } catch {
      return { status: 'degraded', latencyMs: ms(), detail: 'unknown: the database could not be read' };
    }
  }

  /** Whether the monitor workflow runs and has looked at the cluster (asked of the worker that hosts it). */
  private async monitor(): Promise<ComponentHealth> {
    const workflowId = monitorIdFor(this.config.autonomy.cluster);
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    try {
      const status = await this.temporal.call(TEMPORAL_DEADLINE_MS, (client) =>
        client.workflow.getHandle(workflowId).query(monitorStatusQuery),
      );
      if (status.lastObservedAt === undefined)
        return { status: 'down', latencyMs: ms(), detail: `${workflowId} has not looked at the cluster yet` };
      return {
        status: status.failing ? 'degraded' : 'ok',
        latencyMs: ms(),
        detail: `${workflowId}: ${status.polls} polls${status.failing ? ', the cluster cannot be read' : ''}`,
      };
    } catch (err) {
      const off = !this.config.autonomy.autostart;
      return {
        status: off ? 'degraded' : 'down',
        latencyMs: ms(),
        detail: off
          ? 'autonomous monitoring is off (MONITOR_AUTOSTART)'
          : `${workflowId} is not answering (is a worker running?): ${(err as Error).message.slice(0, 160)}`,
      };
    }
  }
}

/** The proxmox component from the version probe and the client's endpoints (exported for tests). */
export function proxmoxComponent(reached: ComponentHealth, endpoints: readonly EndpointStatus[]): ComponentHealth {
  const trusted = endpoints.filter((e) => e.state !== 'untrusted');
  const down = trusted.filter((e) => e.state === 'down').length;
  const untrusted = endpoints.length - trusted.length;
  const counts = [
    `${down} of ${trusted.length} endpoint${trusted.length === 1 ? '' : 's'} down`,
    ...(untrusted > 0 ? [`${untrusted} untrusted (not used)`] : []),
  ].join(', ');
  if (reached.status === 'down') return { ...reached, detail: `${reached.detail ?? 'unreachable'}; ${counts}` };
  const active = endpoints.find((e) => e.state === 'active');
  const using = active ? `using ${active.url}${active.node ? ` (${active.node})` : ''}` : 'answering';
  return { status: down > 0 ? 'degraded' : 'ok', latencyMs: reached.latencyMs, detail: `${using}; ${counts}` };
}
