import { type Timeline, type TimelineStep } from './api-types';

export type StepTone = 'info' | 'wait' | 'ok' | 'bad';

export interface StepView {
  readonly key: string;
  readonly kind: string;
  readonly label: string;
  readonly title: string;
  readonly at: string;
  readonly by?: string;
  readonly durationMs?: number;
  readonly upid?: string;
  readonly tone: StepTone;
}

const LABELS: Readonly<Record<string, string>> = {
  requested: 'Requested',
  tier: 'Tier',
  waiting: 'Waiting',
  escalated: 'Escalated',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
  blocked: 'Blocked',
  'not-found': 'Not found',
  task: 'Proxmox task',
  'task-finished': 'Task finished',
  'task-failed': 'Task failed',
  verified: 'Verified',
  'not-verified': 'Not verified',
  failed: 'Failed',
};

const TONES: Readonly<Record<string, StepTone>> = {
  waiting: 'wait',
  escalated: 'wait',
  approved: 'ok',
  'task-finished': 'ok',
  verified: 'ok',
  rejected: 'bad',
  expired: 'bad',
  blocked: 'bad',
  'not-found': 'bad',
  'task-failed': 'bad',
  'not-verified': 'bad',
  failed: 'bad',
};

/** Whether a step's title already says who did it ("approved by operator"), so "· by operator" would repeat it. */
function namesActor(title: string, by: string): boolean {
  return title.toLowerCase().includes(`by ${by.toLowerCase()}`);
}

/**
 * A domain step as the timeline shows it: a readable label, a tone, the UPID when there is one,
 * and who did it unless the title already says so.
 */
export function stepView(step: TimelineStep, index: number): StepView {
  const upid = typeof step.detail?.['upid'] === 'string' ? step.detail['upid'] : undefined;
  return {
    key: `${index}:${step.kind}:${step.at}`,
    kind: step.kind,
    label: LABELS[step.kind] ?? step.kind.replace(/-/g, ' '),
    title: step.title,
    at: step.at,
    ...(step.by && !namesActor(step.title, step.by) ? { by: step.by } : {}),
    ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}),
    ...(upid ? { upid } : {}),
    tone: TONES[step.kind] ?? 'info',
  };
}

/** Whether a timeline has reached its end: Temporal reports the workflow as anything but running. */
export function timelineDone(t: Pick<Timeline, 'status'>): boolean {
  return t.status !== 'RUNNING';
}

/** From the first step to the last, the whole story's length. */
export function timelineSpanMs(steps: readonly TimelineStep[]): number | undefined {
  const first = steps[0];
  const last = steps.at(-1);
  if (!first || !last) return undefined;
  const span = Date.parse(last.at) - Date.parse(first.at);
  return Number.isFinite(span) ? span : undefined;
}

/** A workflow ID as operators read it: `vm-action:pve:101:stop:01J…` → `stop 101 on pve`. */
export function describeWorkflowId(workflowId: string): string {
  const parts = workflowId.split(':');
  if (parts[0] === 'vm-action' && parts.length >= 4) return `${parts[3]} ${parts[2]} on ${parts[1]}`;
  return workflowId;
}
