import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { http, isHttpError } from '../api/http';
import { type Timeline } from '../lib/api-types';

/**
 * The story of one selected workflow. While it runs, every `step` event for it asks for a
 * refresh; refreshes never overlap: one asked for during a fetch runs once that fetch is done,
 * so a burst of steps costs at most two requests and the last answer is always the newest.
 */
export const useTimelineStore = defineStore('timeline', () => {
  const workflowId = ref<string | null>(null);
  /** One run of the workflow ID (an audit row); null: its latest run. */
  const runId = ref<string | null>(null);
  const timeline = shallowRef<Timeline | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let inFlight: Promise<void> | null = null;
  let again = false;
  let generation = 0;

  async function fetchOnce(id: string, gen: number): Promise<void> {
    try {
      const run = runId.value ? `?runId=${encodeURIComponent(runId.value)}` : '';
      const t = await http.get<Timeline>(`/api/workflows/${id}/timeline${run}`);
      if (gen !== generation) return;
      timeline.value = Object.freeze(t);
      error.value = null;
    } catch (err) {
      if (gen !== generation) return;
      // Right after a request the workflow may not be visible yet; the next step event retries.
      error.value = isHttpError(err) && err.status === 404 ? 'Starting…' : isHttpError(err) ? err.message : String(err);
    }
  }

  function refresh(): Promise<void> {
    const id = workflowId.value;
    if (!id) return Promise.resolve();
    if (inFlight) {
      again = true;
      return inFlight;
    }
    const gen = generation;
    loading.value = true;
    inFlight = (async () => {
      try {
        do {
          again = false;
          await fetchOnce(id, gen);
        } while (again && gen === generation);
      } finally {
        inFlight = null;
        if (gen === generation) loading.value = false;
      }
    })();
    return inFlight;
  }

  function select(id: string | null, run: string | null = null): Promise<void> {
    if (id === workflowId.value && run === runId.value) return refresh();
    generation++;
    inFlight = null;
    again = false;
    workflowId.value = id;
    runId.value = run;
    replay.value = null;
    timeline.value = null;
    error.value = null;
    loading.value = false;
    return refresh();
  }

  /** A step or archive event: refresh only when it is about the workflow on screen. */
  function onWorkflowEvent(id: string): Promise<void> {
    return id === workflowId.value ? refresh() : Promise.resolve();
  }

  /** What the last replay of the selected workflow said: re-run on today's code, same decisions? */
  const replay = ref<{ readonly workflowId: string; readonly reproduced: boolean; readonly detail?: string } | null>(
    null,
  );
  const replaying = ref(false);

  async function replaySelected(): Promise<void> {
    const id = workflowId.value;
    if (!id || replaying.value) return;
    replaying.value = true;
    try {
      const res = await http.post<{ reproduced: boolean; detail?: string }>(`/api/audit/${id}/replay`);
      if (id === workflowId.value)
        replay.value = Object.freeze({
          workflowId: id,
          reproduced: res.reproduced,
          ...(res.detail ? { detail: res.detail } : {}),
        });
    } catch (err) {
      if (id === workflowId.value)
        replay.value = Object.freeze({
          workflowId: id,
          reproduced: false,
          detail: isHttpError(err) ? err.message : String(err),
        });
    } finally {
      replaying.value = false;
    }
  }

  /** The archived Temporal history as a JSON file the browser saves. */
  async function exportSelected(): Promise<void> {
    const id = workflowId.value;
    if (!id) return;
    try {
      const history = await http.get<unknown>(`/api/audit/${id}/history`);
      const blob = new Blob([JSON.stringify(history, null, 2)], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.history.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      error.value = isHttpError(err) ? err.message : String(err);
    }
  }

  function reset(): void {
    replay.value = null;
    generation++;
    inFlight = null;
    workflowId.value = null;
    runId.value = null;
    timeline.value = null;
    error.value = null;
    loading.value = false;
  }

  return {
    workflowId,
    runId,
    timeline,
    loading,
    error,
    replay,
    replaying,
    select,
    refresh,
    onWorkflowEvent,
    replaySelected,
    exportSelected,
    reset,
  };
});
