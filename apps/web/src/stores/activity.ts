import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { http, isHttpError } from '../api/http';
import { type AuditItem, type FeedItem, type StepEvent } from '../lib/api-types';

export const FEED_LIMIT = 100;

/** The activity feed (workflow steps, newest first) and the audit list of finished actions. */
export const useActivityStore = defineStore('activity', () => {
  const feed = shallowRef<readonly FeedItem[]>([]);
  const audit = shallowRef<readonly AuditItem[]>([]);
  const auditTotal = ref(0);
  const error = ref<string | null>(null);
  let liveSeq = 0;

  async function loadFeed(): Promise<void> {
    try {
      const res = await http.get<{ items: FeedItem[] }>(`/api/feed?limit=${FEED_LIMIT}`);
      feed.value = Object.freeze(res.items.slice(0, FEED_LIMIT));
      error.value = null;
    } catch (err) {
      error.value = isHttpError(err) ? err.message : String(err);
    }
  }

  async function loadAudit(): Promise<void> {
    try {
      const res = await http.get<{ items: AuditItem[]; total?: number }>('/api/audit?limit=50');
      audit.value = Object.freeze(res.items);
      auditTotal.value = res.total ?? res.items.length;
    } catch (err) {
      error.value = isHttpError(err) ? err.message : String(err);
    }
  }

  /** A live `step` event, shown at once; the list is capped so a long-running display does not grow. */
  function pushStep(step: StepEvent): void {
    const duplicate = feed.value.some(
      (f) => f.workflowId === step.workflowId && f.kind === step.kind && f.at === step.at,
    );
    if (duplicate) return;
    const item: FeedItem = {
      id: `live-${++liveSeq}`,
      at: step.at,
      source: step.workflowId.split(':')[0] ?? step.workflowId,
      workflowId: step.workflowId,
      kind: step.kind,
      title: step.title,
    };
    feed.value = Object.freeze([item, ...feed.value].slice(0, FEED_LIMIT));
  }

  function reset(): void {
    feed.value = [];
    audit.value = [];
    auditTotal.value = 0;
    error.value = null;
  }

  return { feed, audit, auditTotal, error, loadFeed, loadAudit, pushStep, reset };
});
