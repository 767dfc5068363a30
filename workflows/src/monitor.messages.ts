import { defineQuery } from '@temporalio/workflow';
import { type ClusterSnapshot, type IncidentClass, type IncidentThresholds, type PolicyData } from '@jarvis/policies';
import { type RemediationSettings } from './remediation.messages';

export const MONITOR_WORKFLOW = 'monitorWorkflow';
export const monitorIdFor = (cluster: string): string => `monitor:${cluster}`;

/** How often each tier of checks runs (ms). */
export interface MonitorIntervals {
  /** Nodes, guests, quorum: crashes and outages. Default 10 s. */
  readonly criticalMs: number;
  /** Memory and watched services. Default 30 s. */
  readonly importantMs: number;
  /** Disk thresholds. Default 5 min. */
  readonly routineMs: number;
  /** The health heartbeat and the storage capacity report in the feed. Default 30 min. */
  readonly backgroundMs: number;
}

export const DEFAULT_MONITOR_INTERVALS: MonitorIntervals = Object.freeze({
  criticalMs: 10_000,
  importantMs: 30_000,
  routineMs: 5 * 60_000,
  backgroundMs: 30 * 60_000,
});

/** Which tier detects which incident class. */
export const INCIDENT_TIER: Readonly<Record<IncidentClass, keyof MonitorIntervals>> = Object.freeze({
  'node-down': 'criticalMs',
  'quorum-at-risk': 'criticalMs',
  'vm-crashed': 'criticalMs',
  'service-down': 'importantMs',
  'ram-high': 'importantMs',
  'disk-critical': 'routineMs',
  'disk-high': 'routineMs',
});

export interface MonitorCarry {
  readonly previous?: ClusterSnapshot;
  readonly lastRun: Readonly<Partial<Record<keyof MonitorIntervals, number>>>;
  readonly polls: number;
  readonly stepSeq: number;
  readonly failing: boolean;
  /** The refused reads last reported (a `monitor-partial` step), so each change is told once. */
  readonly partial?: string;
}

export interface MonitorInput {
  readonly cluster: string;
  readonly guardianId: string;
  readonly taskQueue?: string;
  readonly intervals: MonitorIntervals;
  readonly thresholds?: Partial<IncidentThresholds>;
  /**
   * systemd units checked over SSH on the important interval, by node name (`*`: every node). Absent
   * or empty: no service is watched. A worker without SSH answers "not configured" and the run stops asking.
   */
  readonly watchedServices?: Readonly<Record<string, readonly string[]>>;
  /** Storage above this fraction is listed in the periodic capacity report. Default 0.8. */
  readonly capacityReportAbove?: number;
  /** How long before the previous observation an operator's stop still explains a guest stopping. Default 60 s. */
  readonly explainSlackMs?: number;
  readonly remediation: RemediationSettings;
  /** @deprecated Ignored by the remediations it starts (they load Jarvis's policy); kept for recorded histories. */
  readonly policy?: PolicyData;
  /** @deprecated As `policy`. */
  readonly twoPersonRule?: boolean;
  /** Polls before continuing as new (default 200). */
  readonly continueAsNewEvery?: number;
  readonly carry?: MonitorCarry;
}

export interface MonitorStatus {
  readonly polls: number;
  readonly lastObservedAt?: number;
  readonly started: readonly string[];
  readonly failing: boolean;
}

export const monitorStatusQuery = defineQuery<MonitorStatus>('monitorStatus');
