import { Inject, Injectable, Logger } from '@nestjs/common';
import { readTaskVisibility } from '@jarvis/activities';
import { AuditRepository, SettingsRepository, type TaskVisibility } from '@jarvis/db';
import {
  DEFAULT_GUARDRAIL_LIMITS,
  DEFAULT_RUNBOOKS,
  INCIDENT_CLASSES,
  type AutonomyLevel,
  type IncidentClass,
  type Tier,
} from '@jarvis/policies';
import {
  failureHistories,
  guardianIdFor,
  guardianStateQuery,
  reloadPolicyUpdate,
  resetFailuresFields,
  resetFailuresUpdate,
  type GuardianView,
  type IncidentFailureHistory,
} from '@jarvis/workflows/api';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { DecisionSigner } from '../auth/decision-signer';
import { type AuthUser } from '../common/http.types';
import { ApiError } from '../errors/api-error';
import { PolicyDataService } from '../guests/policy-data.service';
import { ulid } from '../guests/workflow-id';
import { isTemporalUnavailable, isWorkflowNotFound } from '../infra/temporal-errors';
import { TemporalService } from '../infra/temporal.service';

export interface KillSwitchState {
  readonly engaged: boolean;
  readonly updatedBy?: string;
  readonly updatedAt?: string;
  /** Whether the running guardian took it (false: stored, and the guardian reads it when it starts). */
  readonly applied?: boolean;
}

export interface RunbookView {
  readonly class: IncidentClass;
  readonly autonomy: AutonomyLevel;
  readonly defaultAutonomy: AutonomyLevel;
  readonly actionTool: string | null;
  readonly tier: Tier;
  readonly steps: readonly string[];
  /** Set when the worker holds this runbook below its level, and why (the crashed-VM runbook without Sys.Audit). */
  readonly heldAt?: { readonly level: AutonomyLevel; readonly reason: string };
}

export interface GuardrailsView {
  readonly killSwitch: KillSwitchState;
  readonly limits: {
    readonly maxAttemptsPerIncident: number;
    readonly attemptWindowMs: number;
    readonly maxFailuresBeforeEscalation: number;
    readonly failureWindowMs: number;
    readonly maxNodesAtOnce: number;
  };
  readonly runbooks: readonly RunbookView[];
  readonly guardian: {
    readonly workflowId: string;
    readonly running: boolean;
    readonly inFlight: GuardianView['inFlight'];
    readonly waiting: readonly string[];
    /** The cluster the attempts are counted against (its name and first node's certificate), once known. */
    readonly clusterIdentity?: string;
  };
  /** The attempts per incident key and which failures count toward escalation now; empty while no guardian runs. */
  readonly failures: readonly IncidentFailureHistory[];
  /**
   * Whether Jarvis sees other users' Proxmox tasks, as the worker last checked (null before its
   * first check). Without it a stop made in Proxmox's UI cannot be told from a crash.
   */
  readonly taskVisibility: TaskVisibility | null;
}

/** What an operator's reset of one incident's failures did. */
export interface FailureReset {
  readonly incidentKey: string;
  /** How many failed attempts stopped counting. */
  readonly reset: number;
  readonly by: string;
  readonly at: string;
}

/** Audit rows need a workflow ID; operator setting changes share this pseudo-workflow (feed source "operator"). */
const GUARDRAILS_STREAM = 'guardrails:kill-switch';
const GUARDIAN_TIMEOUT_MS = 5_000;

/**
 * The guardrails: held by the cluster's guardian workflow (the source of truth while it runs),
 * mirrored in Postgres settings for display and for the guardian's next start. Every change is
 * audited.
 */
@Injectable()
export class GuardrailsService {
  private readonly logger = new Logger('Guardrails');

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly settings: SettingsRepository,
    private readonly audit: AuditRepository,
    private readonly temporal: TemporalService,
    private readonly policies: PolicyDataService,
    private readonly signer: DecisionSigner,
  ) {}

  private get guardianId(): string {
    return guardianIdFor(this.config.autonomy.cluster);
  }

  async get(): Promise<GuardrailsView> {
    const [policy, live, visibility] = await Promise.all([
      this.policies.current(),
      this.guardianState(),
      readTaskVisibility(this.settings, this.config.autonomy.cluster),
    ]);
    const autonomy = live?.autonomy ?? policy.autonomy;
    const limits = live?.limits ?? { ...DEFAULT_GUARDRAIL_LIMITS, maxAttempts: this.config.autonomy.maxAttempts };
    return {
      killSwitch: killSwitchState(live?.killSwitch ?? policy.killSwitch),
      limits: {
        maxAttemptsPerIncident: limits.maxAttempts,
        attemptWindowMs: limits.attemptWindowMs,
        maxFailuresBeforeEscalation: limits.maxFailures,
        failureWindowMs: limits.failureWindowMs,
        maxNodesAtOnce: 1,
      },
      runbooks: INCIDENT_CLASSES.map((cls) => ({
        class: cls,
        autonomy: autonomy[cls] ?? DEFAULT_RUNBOOKS[cls].autonomy,
        defaultAutonomy: DEFAULT_RUNBOOKS[cls].autonomy,
        actionTool: DEFAULT_RUNBOOKS[cls].actionTool,
        tier: DEFAULT_RUNBOOKS[cls].tier,
        steps: DEFAULT_RUNBOOKS[cls].steps,
        ...(cls === 'vm-crashed' && visibility?.othersVisible === false
          ? { heldAt: { level: 'L2' as const, reason: visibility.reason } }
          : {}),
      })),
      guardian: {
        workflowId: this.guardianId,
        running: live !== undefined,
        inFlight: live?.inFlight ?? [],
        waiting: live?.waiting ?? [],
        ...(live?.clusterIdentity !== undefined ? { clusterIdentity: live.clusterIdentity } : {}),
      },
      failures: live
        ? failureHistories(live.attempts, {
            now: Date.now(),
            limits: live.limits,
            ...(live.clusterIdentity !== undefined ? { cluster: live.clusterIdentity } : {}),
          })
        : [],
      taskVisibility: visibility,
    };
  }

  /**
   * Who and when travel inside the setting's value as well as in the settings row, so readers of
   * `kill_switch` see one self-describing object. The running guardian gets it as an update; if
   * none runs, the stored setting is what the guardian starts from.
   */
  async setKillSwitch(engaged: boolean, user: AuthUser): Promise<KillSwitchState> {
    const at = new Date().toISOString();
    const state: KillSwitchState = { engaged, updatedBy: user.username, updatedAt: at };
    // Jarvis's versioned policy store holds it; the guardian is told to re-read it from there.
    const version = await this.policies.update(
      (doc) => ({ ...doc, killSwitch: { engaged, by: user.username, at } }),
      user.username,
      engaged ? 'kill switch engaged' : 'kill switch released',
    );
    const applied = await this.reloadGuardian(engaged ? 'kill switch engaged' : 'kill switch released');
    await this.audit.record({
      workflowId: GUARDRAILS_STREAM,
      activityId: `kill-switch:${ulid()}`,
      kind: engaged ? 'kill-switch-engaged' : 'kill-switch-released',
      title: `${user.username} ${engaged ? 'engaged' : 'released'} the kill switch`,
      actor: user.username,
      detail: { engaged, appliedToGuardian: applied, policyVersion: version.version },
      at,
    });
    return { ...state, applied };
  }

  async setAutonomy(incidentClass: IncidentClass, level: AutonomyLevel, user: AuthUser): Promise<RunbookView> {
    const stored = (await this.policies.current()).autonomy;
    const version = await this.policies.update(
      (doc) => ({ ...doc, autonomy: { ...doc.autonomy, [incidentClass]: level } }),
      user.username,
      `${incidentClass} runbook set to ${level}`,
    );
    const applied = await this.reloadGuardian(`${incidentClass} set to ${level}`);
    await this.audit.record({
      workflowId: 'guardrails:autonomy',
      activityId: `autonomy:${ulid()}`,
      kind: 'autonomy-changed',
      title: `${user.username} set the ${incidentClass} runbook to ${level}`,
      actor: user.username,
      detail: {
        incidentClass,
        level,
        previous: stored[incidentClass] ?? DEFAULT_RUNBOOKS[incidentClass].autonomy,
        appliedToGuardian: applied,
        policyVersion: version.version,
      },
      at: new Date().toISOString(),
    });
    const d = DEFAULT_RUNBOOKS[incidentClass];
    return {
      class: incidentClass,
      autonomy: level,
      defaultAutonomy: d.autonomy,
      actionTool: d.actionTool,
      tier: d.tier,
      steps: d.steps,
    };
  }

  /**
   * An operator resets one incident's failures: the guardian (the authority on attempts) marks
   * them reset, with who, so the runbook tries again; audited here with who and when. No guardian
   * running is a 404 (nothing to reset), Temporal out of reach a 503.
   */
  async resetFailures(incidentKey: string, reason: string | undefined, user: AuthUser): Promise<FailureReset> {
    const at = new Date().toISOString();
    const why = reason?.trim() || 'reset from the guardrails view';
    const request = { incidentKey, by: user.username, reason: why };
    let reset: number;
    try {
      ({ reset } = await this.temporal.call(GUARDIAN_TIMEOUT_MS, (client) =>
        client.workflow.getHandle(this.guardianId).executeUpdate(resetFailuresUpdate, {
          args: [{ ...request, voucher: this.signer.sign('forget-attempts', resetFailuresFields(request)) }],
        }),
      ));
    } catch (err) {
      // No guardian for this cluster: it keeps the attempts, so there is nothing to reset (404).
      if (isWorkflowNotFound(err)) {
        throw new ApiError('NOT_FOUND', 'the guardian is not running: there are no failures to reset', undefined, {
          cause: err,
        });
      }
      if (isTemporalUnavailable(err)) {
        throw new ApiError(
          'TEMPORAL_UNAVAILABLE',
          'Temporal is unreachable: the failures cannot be reset now',
          undefined,
          {
            cause: err,
          },
        );
      }
      // The guardian refused it (unsigned, or malformed): a refusal, never a 500.
      const refusal = (err as { cause?: { type?: unknown; message?: unknown } }).cause;
      if (refusal?.type === 'NOT_VOUCHED' || refusal?.type === 'BAD_REQUEST') {
        throw new ApiError(refusal.type, String(refusal.message), undefined, { cause: err });
      }
      throw err;
    }
    await this.audit.record({
      workflowId: 'guardrails:failures',
      activityId: `failures-reset:${ulid()}`,
      kind: 'failures-reset',
      title: `${user.username} reset the failures of ${incidentKey} (${reset} no longer count)`,
      actor: user.username,
      detail: { incidentKey, reset, reason: why },
      at,
    });
    return { incidentKey, reset, by: user.username, at };
  }

  /**
   * Tells the running guardian to re-read the policy store. True when it did; false when none
   * runs (it reads the store when it starts). Temporal down is a 503.
   */
  private async reloadGuardian(reason: string): Promise<boolean> {
    try {
      await this.temporal.call(GUARDIAN_TIMEOUT_MS, (client) =>
        client.workflow.getHandle(this.guardianId).executeUpdate(reloadPolicyUpdate, { args: [{ reason }] }),
      );
      return true;
    } catch (err) {
      if (isWorkflowNotFound(err)) return false;
      if (isTemporalUnavailable(err)) {
        throw new ApiError(
          'TEMPORAL_UNAVAILABLE',
          'the setting is stored, but the guardian did not answer; it applies once the guardian runs',
          undefined,
          { cause: err },
        );
      }
      this.logger.warn(`guardian update failed: ${(err as Error).message}`);
      throw err;
    }
  }

  private async guardianState(): Promise<GuardianView | undefined> {
    try {
      return await this.temporal.call(GUARDIAN_TIMEOUT_MS, (client) =>
        client.workflow.getHandle(this.guardianId).query(guardianStateQuery),
      );
    } catch {
      // Not running, or Temporal down: the stored settings are what there is to show.
      return undefined;
    }
  }
}

/** The stored kill switch as the guardrails view shows it. */
function killSwitchState(ks: { engaged: boolean; by?: string; at?: string }): KillSwitchState {
  return {
    engaged: ks.engaged,
    ...(ks.by ? { updatedBy: ks.by } : {}),
    ...(ks.at ? { updatedAt: ks.at } : {}),
  };
}
