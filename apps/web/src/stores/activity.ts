import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { http, isHttpError } from '../api/http';
import { type AuditItem, type FeedItem, type StepEvent } from '../lib/api-types';

export const FEED_LIMIT = 100;

/** The feed's filters, as the API's `source=` understands them. */
export const FEED_SOURCES = ['monitor', 'chat', 'operator', 'runbook'] as const;
export type FeedSource = (typeof FEED_SOURCES)[number];

/** The same mapping as the API's: a workflow family to the source it speaks for. */
const FAMILY_SOURCE: Readonly<Record<string, FeedSource>> = {
  monitor: 'monitor',
  remediate: 'runbook',
  guardian: 'runbook',
  chat: 'chat',
  'vm-action': 'operator',
  guardrails: 'operator',
  replay: 'operator',
};

export interface AuditFilter {
  readonly node: string;
  readonly guest: string;
  readonly incidentClass: string;
  readonly outcome: string;
  /** A workflow type, or `all`; empty: every type but chat turns (the API leaves them out). */
  readonly kind: string;
  /** A day, `YYYY-MM-DD`: entries closed on or after it. */
  readonly from: string;
}

export const NO_AUDIT_FILTER: AuditFilter = Object.freeze({
  node: '',
  guest: '',
  incidentClass: '',
  outcome: '',
  kind: '',
  from: '',
});

/** The query string for `/api/audit`: only what is set, trimmed and encoded; a bad guest ID is left out. */
export function auditQuery(f: AuditFilter, limit = 50): string {
  const q = new URLSearchParams({ limit: String(limit) });
  if (f.node.trim()) q.set('node', f.node.trim());
  if (/^\d{3,9}$/.test(f.guest.trim())) q.set('guest', f.guest.trim());
  if (f.incidentClass.trim()) q.set('incidentClass', f.incidentClass.trim());
  if (f.outcome.trim()) q.set('outcome', f.outcome.trim());
  if (f.kind.trim()) q.set('kind', f.kind.trim());
  if (/^\d{4}-\d{2}-\d{2}$/.test(f.from)) q.set('from', new Date(`${f.from}T00:00:00`).toISOString());
  return q.toString();
}

export function feedSourceOf(workflowId: string): string {
  const family = workflowId.split(':')[0] ?? workflowId;
  return FAMILY_SOURCE[family] ?? family;
}

/** The activity feed (workflow steps, newest first) and the audit list of finished actions. */
export const useActivityStore = defineStore('activity', () => {
  const feed = shallowRef<readonly FeedItem[]>([]);
  /** null: every source. A filter is applied to live steps too, so the list never shows what it hides. */
  const source = ref<FeedSource | null>(null);
  const audit = shallowRef<readonly AuditItem[]>([]);
  const auditTotal = ref(0);
  /** The audit list's filters (CONTRACT: node, guest, kind, outcome, date); empty strings are unset. */
  const auditFilter = ref<AuditFilter>({ ...NO_AUDIT_FILTER });
  const error = ref<string | null>(null);
  let liveSeq = 0;

  async function loadFeed(): Promise<void> {
    try {
      const filter = source.value ? `&source=${source.value}` : '';
      const res = await http.get<{ items: FeedItem[] }>(`/api/feed?limit=${FEED_LIMIT}${filter}`);
      feed.value = Object.freeze(res.items.slice(0, FEED_LIMIT));
      error.value = null;
    } catch (err) {
      error.value = isHttpError(err) ? err.message : String(err);
    }
  }

  async function loadAudit(): Promise<void> {
    try {
      const res = await http.get<{ items: AuditItem[]; total?: number }>(`/api/audit?${auditQuery(auditFilter.value)}`);
      audit.value = Object.freeze(res.items);
      auditTotal.value = res.total ?? res.items.length;
    } catch (err) {
      error.value = isHttpError(err) ? err.message : String(err);
    }
  }

  function setAuditFilter(patch: Partial<AuditFilter>): Promise<void> {
    auditFilter.value = { ...auditFilter.value, ...patch };
    return loadAudit();
  }

  /** Shows one source only (or all, with null), seeded again from the server's history. */
  function setSource(next: FeedSource | null): Promise<void> {
    source.value = next;
    return loadFeed();
  }

  /** A live `step` event, shown at once; the list is capped so a long-running display does not grow. */
  function pushStep(step: StepEvent): void {
    const stepSource = step.source ?? feedSourceOf(step.workflowId);
    if (source.value && stepSource !== source.value) return;
    const duplicate = feed.value.some(
      (f) => f.workflowId === step.workflowId && f.kind === step.kind && f.at === step.at,
    );
    if (duplicate) return;
    // A live step names its workflow as the steps of the same workflow already listed do.
    const subject = feed.value.find((f) => f.workflowId === step.workflowId)?.subject;
    const item: FeedItem = {
      id: `live-${++liveSeq}`,
      at: step.at,
      source: stepSource,
      workflowId: step.workflowId,
      ...(subject ? { subject } : {}),
      kind: step.kind,
      title: step.title,
    };
    feed.value = Object.freeze([item, ...feed.value].slice(0, FEED_LIMIT));
  }

  function reset(): void {
    feed.value = [];
    source.value = null;
    audit.value = [];
    auditFilter.value = { ...NO_AUDIT_FILTER };
    auditTotal.value = 0;
    error.value = null;
  }

  return {
    feed,
    source,
    audit,
    auditTotal,
    auditFilter,
    error,
    loadFeed,
    setSource,
    loadAudit,
    setAuditFilter,
    pushStep,
    reset,
  };
});
