import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { type WorkflowTitleFacts } from './workflow-title';

export interface TimelineStep {
  readonly at: string;
  readonly kind: string;
  readonly title: string;
  readonly by?: string;
  readonly detail?: Record<string, unknown>;
  readonly durationMs?: number;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const STEP_ACTIVITIES = new Set(['recordStep', 'recordSteps']);

/** One payload through the default converter; undefined when it cannot be read. */
export function decodePayload(payload: temporal.api.common.v1.IPayload | null | undefined): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined;
  }
}

function isStep(value: unknown): value is TimelineStep & { key: string } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['kind'] === 'string' && typeof v['title'] === 'string' && typeof v['at'] === 'string';
}

/**
 * The domain steps of one workflow, read from its Temporal history: every step the workflow
 * recorded (`recordSteps` local activities, whose results the history keeps in markers), in
 * history order, each with the time until the next step.
 */
export function timelineFromHistory(events: readonly HistoryEvent[]): TimelineStep[] {
  const steps: (TimelineStep & { seq: number })[] = [];
  const seen = new Set<string>();
  for (const event of events) {
    const marker = event.markerRecordedEventAttributes;
    if (!marker?.details) continue;
    const data = decodePayload(marker.details['data']?.payloads?.[0]) as
      { activity_type?: string; activityType?: string } | undefined;
    const type = data?.activity_type ?? data?.activityType;
    if (!type || !STEP_ACTIVITIES.has(type)) continue;
    const result = decodePayload(marker.details['result']?.payloads?.[0]);
    for (const item of Array.isArray(result) ? (result as unknown[]) : [result]) {
      if (!isStep(item) || seen.has(item.key)) continue;
      seen.add(item.key);
      steps.push({
        seq: Number(/(\d+)$/.exec(item.key)?.[1] ?? steps.length),
        at: item.at,
        kind: item.kind,
        title: item.title,
        ...(item.by ? { by: item.by } : {}),
        ...(item.detail ? { detail: item.detail } : {}),
      });
    }
  }
  // Steps written concurrently (an update handler and the main flow) can land out of order.
  steps.sort((a, b) => a.seq - b.seq);
  return steps.map(({ seq: _seq, ...s }, i) => {
    const next = steps[i + 1];
    return next ? { ...s, durationMs: Math.max(0, Date.parse(next.at) - Date.parse(s.at)) } : s;
  });
}

/**
 * A chat turn's timing stages (received, LLM start, first token, tools, done), in ms since the
 * message was received, from the `stage:*` steps the turn records. Empty for other workflows.
 */
export function stageTimings(steps: readonly TimelineStep[]): Record<string, number> {
  const stages = steps.filter((s) => s.kind.startsWith('stage:'));
  const received = stages.find((s) => s.kind === 'stage:received');
  if (!received) return {};
  const t0 = Date.parse(received.at);
  return Object.fromEntries(stages.map((s) => [s.kind.slice('stage:'.length), Math.max(0, Date.parse(s.at) - t0)]));
}

/**
 * A history event's time in epoch ms. Its seconds may be a number or a Long from another copy of the long
 * library than @temporalio/common's (its tsToMs then throws), so only `toString` is relied on.
 */
export function eventTimeMs(ts: HistoryEvent['eventTime']): number | undefined {
  if (!ts || ts.seconds === null || ts.seconds === undefined) return undefined;
  const ms = Number(String(ts.seconds)) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? ms : undefined;
}

function isoOf(ts: HistoryEvent['eventTime']): string | undefined {
  const ms = eventTimeMs(ts);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

/**
 * What a run's title is made of, from its history's first event: when it started and its input
 * (a chat turn's message, a VM action's target, a remediation's incident). Unreadable input leaves
 * the title to the workflow ID.
 */
export function titleFactsFromHistory(
  workflowId: string,
  kind: string,
  events: readonly HistoryEvent[],
): WorkflowTitleFacts {
  const first = events[0];
  const started = first?.workflowExecutionStartedEventAttributes;
  const at = isoOf(first?.eventTime);
  const input = record(decodePayload(started?.input?.payloads?.[0]));
  const incident = record(input['incident']);
  const subject = record(incident['subject']);
  const vmid = typeof input['vmid'] === 'number' ? input['vmid'] : subject['vmid'];
  const node = text(input['node']) ?? text(subject['node']);
  const facts: Record<string, unknown> = {
    workflowId,
    kind,
    startedAt: at,
    chatText: text(input['text']),
    action: text(input['action']),
    node,
    vmid: typeof vmid === 'number' ? vmid : undefined,
    incidentClass: text(incident['class']),
    service: text(subject['service']),
    storage: text(subject['storage']),
  };
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as unknown as WorkflowTitleFacts;
}
