import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import { http, isHttpError } from '../api/http';
import {
  applyCard,
  applyDelta,
  applyFinal,
  applyReset,
  emptyReply,
  entriesFromHistory,
  mergeStored,
  replyKey,
  type ChatCardEvent,
  type ChatCostEvent,
  type ChatDeltaEvent,
  type ChatEntry,
  type ChatEventBase,
  type ChatFinalEvent,
  type ChatMessageView,
  type ChatResetEvent,
} from '../lib/chat-thread';
import { type KeyValueStorage } from './storage';

const KEY = 'jarvis.chat.session';

/**
 * The operator's conversation with JARVIS: one session (created on the first message, its id
 * remembered per operator), its messages, and the turns streaming in over the /chat socket.
 */
export const useChatStore = defineStore('chat', () => {
  const sessionId = ref<string | null>(null);
  const entries = reactive<ChatEntry[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** Bumped on every change that can alter a bubble's height: the list follows it down. */
  const revision = ref(0);
  let owner: string | null = null;
  let creating: Promise<string> | null = null;
  let localSeq = 0;

  const running = computed(() => entries.filter((e) => e.role === 'assistant' && e.state === 'running').length);

  const storageKey = (user: string): string => `${KEY}.${user}`;

  /** Restores the remembered session id for this operator (each operator has their own). */
  function hydrate(storage: KeyValueStorage, username: string): void {
    owner = username;
    const saved = storage.getItem(storageKey(username));
    sessionId.value = saved && /^[A-Za-z0-9:_.-]{1,200}$/.test(saved) ? saved : null;
  }

  function dehydrate(storage: KeyValueStorage): void {
    if (!owner) return;
    if (sessionId.value) storage.setItem(storageKey(owner), sessionId.value);
    else storage.removeItem(storageKey(owner));
  }

  function byKey(key: string): ChatEntry | undefined {
    return entries.find((e) => e.key === key);
  }

  /** Loads the remembered session's history; a session the API no longer knows is forgotten. */
  async function loadHistory(): Promise<void> {
    const id = sessionId.value;
    if (!id) return;
    loading.value = true;
    try {
      const res = await http.get<{ id: string; messages: ChatMessageView[] }>(`/api/chat/sessions/${id}`);
      if (id !== sessionId.value) return;
      const loaded = entriesFromHistory(res.messages, Date.now());
      // Anything that streamed in while the history was on its way is newer than the stored copy.
      const live = new Map(entries.filter((e) => e.state !== 'done').map((e) => [e.key, e]));
      entries.splice(0, entries.length, ...loaded.map((e) => live.get(e.key) ?? e));
      for (const e of live.values()) if (!loaded.some((l) => l.key === e.key)) entries.push(e);
      error.value = null;
      revision.value++;
    } catch (err) {
      if (isHttpError(err) && err.status === 404) sessionId.value = null;
      else error.value = isHttpError(err) ? err.message : String(err);
    } finally {
      loading.value = false;
    }
  }

  /** The session, created on first use; concurrent callers share one creation. */
  async function ensureSession(): Promise<string> {
    if (sessionId.value) return sessionId.value;
    creating ??= http
      .post<{ id: string }>('/api/chat/sessions')
      .then((r) => {
        sessionId.value = r.id;
        return r.id;
      })
      .finally(() => (creating = null));
    return creating;
  }

  /**
   * Sends one message. The input stays open while turns run: each message is its own turn
   * (its own workflow), answered in order of arrival. Resolves to the turn's workflow id.
   */
  async function send(
    raw: string,
    opts: { beforePost?: (sessionId: string) => Promise<void> } = {},
  ): Promise<string | undefined> {
    const text = raw.trim();
    if (!text) return undefined;
    const mine: ChatEntry = {
      key: `local-${++localSeq}:user`,
      role: 'user',
      text,
      cards: [],
      at: new Date().toISOString(),
      state: 'sending',
      attempt: 0,
      seq: 0,
    };
    entries.push(mine);
    revision.value++;
    const entry = byKey(mine.key)!;
    try {
      const id = await ensureSession();
      // In the session's room before the turn starts, so not one of its events is missed.
      await opts.beforePost?.(id);
      const { workflowId } = await http.post<{ workflowId: string }>(`/api/chat/sessions/${id}/messages`, { text });
      entry.workflowId = workflowId;
      entry.key = `${workflowId}:user`;
      entry.state = 'done';
      // The reply's first events can beat the POST's answer: then its bubble exists already.
      const replyAt = entries.findIndex((e) => e.key === replyKey(workflowId));
      const mineAt = entries.indexOf(entry);
      if (replyAt === -1) entries.splice(mineAt + 1, 0, emptyReply(workflowId, new Date().toISOString()));
      else if (replyAt < mineAt) entries.splice(replyAt, 0, ...entries.splice(mineAt, 1));
      revision.value++;
      error.value = null;
      return workflowId;
    } catch (err) {
      entry.state = 'failed';
      entry.error = isHttpError(err) ? err.message : String(err);
      revision.value++;
      return undefined;
    }
  }

  /** The reply bubble of an event's turn, made on first sight (a turn started from another tab). */
  function replyFor(e: ChatEventBase): ChatEntry | undefined {
    if (e.sessionId !== sessionId.value) return undefined;
    const found = byKey(replyKey(e.workflowId));
    if (found) return found;
    entries.push(emptyReply(e.workflowId, new Date().toISOString()));
    return entries[entries.length - 1];
  }

  function onDelta(e: ChatDeltaEvent): void {
    const entry = replyFor(e);
    if (entry && applyDelta(entry, e)) revision.value++;
  }

  function onReset(e: ChatResetEvent): void {
    const entry = replyFor(e);
    if (!entry) return;
    applyReset(entry, e);
    revision.value++;
  }

  function onCard(e: ChatCardEvent): void {
    const entry = replyFor(e);
    if (entry && applyCard(entry, e.card)) revision.value++;
  }

  let refetchTimer: ReturnType<typeof setTimeout> | undefined;
  function onFinal(e: ChatFinalEvent): void {
    const entry = replyFor(e);
    if (!entry) return;
    applyFinal(entry, e);
    revision.value++;
    // Timings and the stored cards come with the stored reply: one fetch after a burst of replies.
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(() => void refreshFinished(), e.truncated ? 0 : 150);
  }

  /** Merges the stored copy of finished replies (timings, cards, the untruncated text). */
  async function refreshFinished(): Promise<void> {
    const id = sessionId.value;
    if (!id) return;
    try {
      const res = await http.get<{ messages: ChatMessageView[] }>(`/api/chat/sessions/${id}`);
      if (id !== sessionId.value) return;
      for (const m of res.messages) {
        if (m.role !== 'assistant' || !m.workflowId) continue;
        const entry = byKey(replyKey(m.workflowId));
        if (entry) mergeStored(entry, m);
      }
      revision.value++;
    } catch {
      // The streamed copy stays; the next reply or a reload brings the stored one.
    }
  }

  /** Live cost of a turn still running (its final message carries the total). */
  function onCost(e: ChatCostEvent): void {
    if (e.sessionId !== sessionId.value) return;
    const entry = byKey(replyKey(e.workflowId));
    if (!entry || entry.state === 'done') return;
    entry.costUsd = (entry.costUsd ?? 0) + e.costUsd;
  }

  /** Starts a new, empty conversation; the next message creates its session. */
  function newConversation(): void {
    sessionId.value = null;
    entries.splice(0);
    revision.value++;
  }

  function reset(): void {
    clearTimeout(refetchTimer);
    owner = null;
    sessionId.value = null;
    entries.splice(0);
    error.value = null;
    loading.value = false;
    creating = null;
  }

  return {
    sessionId,
    entries,
    loading,
    error,
    revision,
    running,
    hydrate,
    dehydrate,
    loadHistory,
    ensureSession,
    send,
    onDelta,
    onReset,
    onCard,
    onFinal,
    onCost,
    refreshFinished,
    newConversation,
    reset,
  };
});
