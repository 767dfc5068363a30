import { defineStore } from 'pinia';
import { computed, ref, shallowReactive } from 'vue';
import { http, isHttpError } from '../api/http';
import { type ApprovalDecision, type ApprovalView } from '../lib/api-types';
import { pressApprove, type ArmedApproval } from '../lib/approval-keys';
import { describeRefusal, type RefusalGuidance } from '../lib/approval-refusal';

/** What POST /approvals/:id/{approve,reject} answers: the workflow's own snapshot. */
interface DecisionSnapshot {
  readonly id: string;
  readonly status: ApprovalView['state'];
  readonly decisions: readonly ApprovalDecision[];
  readonly expiresAt: string;
}

export type Verdict = 'approve' | 'reject';

const RECENT = 8;

const lastDecisionAt = (a: ApprovalView): number =>
  Math.max(Date.parse(a.requestedAt), ...a.decisions.map((d) => Date.parse(d.at)));

export const useApprovalsStore = defineStore('approvals', () => {
  const byId = shallowReactive(new Map<string, ApprovalView>());
  const selectedId = ref<string | null>(null);
  const refusals = shallowReactive(new Map<string, RefusalGuidance>());
  const busy = shallowReactive(new Set<string>());
  const loadError = ref<string | null>(null);
  /** The YELLOW request a first `a` armed, shown as a prompt on its card until it lapses. */
  const armed = ref<ArmedApproval | null>(null);
  /** The RED request `a` took to its confirmation (the typed name or the Approve button), prompted on its card. */
  const confirming = ref<string | null>(null);
  let armedTimer: ReturnType<typeof setTimeout> | undefined;

  const pending = computed(() =>
    [...byId.values()]
      .filter((a) => a.state === 'pending')
      .sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt) || (a.id < b.id ? -1 : 1)),
  );
  const recent = computed(() =>
    [...byId.values()]
      .filter((a) => a.state !== 'pending')
      .sort((a, b) => lastDecisionAt(b) - lastDecisionAt(a))
      .slice(0, RECENT),
  );
  const selected = computed(() => (selectedId.value ? byId.get(selectedId.value) : undefined));

  /** The newest snapshot wins: views carry a version that only grows, so a late, older one is ignored. */
  function upsert(view: ApprovalView): boolean {
    const old = byId.get(view.id);
    if (old && old.version > view.version) return false;
    byId.set(view.id, Object.freeze(view));
    if (view.state !== 'pending') refusals.delete(view.id);
    return true;
  }

  /** The decision's own answer, applied at once so the card moves before the socket's copy arrives. */
  function applySnapshot(s: DecisionSnapshot): void {
    const old = byId.get(s.id);
    if (!old || s.decisions.length < old.decisions.length) return;
    byId.set(s.id, Object.freeze({ ...old, state: s.status, decisions: s.decisions, expiresAt: s.expiresAt }));
  }

  function replaceAll(items: readonly ApprovalView[]): void {
    const seen = new Set(items.map((a) => a.id));
    for (const id of [...byId.keys()]) if (!seen.has(id)) byId.delete(id);
    for (const a of items) upsert(a);
  }

  async function load(): Promise<void> {
    try {
      const [pendingRes, decidedRes] = await Promise.all([
        http.get<{ items: ApprovalView[] }>('/api/approvals?state=pending'),
        http.get<{ items: ApprovalView[] }>('/api/approvals?state=decided'),
      ]);
      replaceAll([...pendingRes.items, ...decidedRes.items.slice(0, 50)]);
      loadError.value = null;
    } catch (err) {
      loadError.value = isHttpError(err) ? err.message : String(err);
    }
  }

  /**
   * Approve or reject approval `id` (in the path), with the fingerprint the operator was shown: a
   * chat card's own, else the inbox's. The workflow's validator is the judge; a refusal (403 typed
   * name or same operator, 409 no longer pending or another request) is kept per request for its card.
   */
  async function decide(
    id: string,
    verdict: Verdict,
    opts: { typedName?: string; comment?: string; fingerprint?: string } = {},
  ): Promise<boolean> {
    const approval = byId.get(id);
    if (!approval || busy.has(id)) return false;
    busy.add(id);
    refusals.delete(id);
    try {
      const snapshot = await http.post<DecisionSnapshot>(`/api/approvals/${id}/${verdict}`, {
        confirm: true,
        fingerprint: opts.fingerprint || approval.fingerprint,
        ...(opts.typedName !== undefined && opts.typedName !== '' ? { typedName: opts.typedName } : {}),
        ...(opts.comment ? { comment: opts.comment } : {}),
      });
      applySnapshot(snapshot);
      return true;
    } catch (err) {
      const e = isHttpError(err) ? err : { status: 0, code: 'UNKNOWN', message: String(err) };
      refusals.set(id, describeRefusal(e, approval));
      return false;
    } finally {
      busy.delete(id);
    }
  }

  function select(id: string | null): void {
    if (id !== selectedId.value) disarm();
    selectedId.value = id;
  }

  /** Esc, another selection or the timeout: the prompt goes and the next `a` starts over. */
  function disarm(): void {
    clearTimeout(armedTimer);
    armed.value = null;
    confirming.value = null;
  }

  /**
   * The `a` key on the selected request (lib/approval-keys.ts). A second press on an armed YELLOW
   * request approves it here; 'confirm' (RED) is the inbox's to show, as a click on Approve would.
   */
  function pressApproveKey(now = Date.now()): 'confirm' | 'prompt' | 'approve' | 'none' {
    const outcome = pressApprove(selected.value, armed.value, now);
    disarm();
    if (outcome.kind === 'prompt') {
      armed.value = outcome.armed;
      armedTimer = setTimeout(disarm, outcome.armed.until - now);
    } else if (outcome.kind === 'confirm') confirming.value = selectedId.value;
    else if (outcome.kind === 'approve' && selectedId.value) void decide(selectedId.value, 'approve');
    return outcome.kind;
  }

  /** Moves the selection through the pending list, wrapping; returns the newly selected request. */
  function step(delta: 1 | -1): ApprovalView | undefined {
    const list = pending.value;
    if (list.length === 0) return undefined;
    const at = list.findIndex((a) => a.id === selectedId.value);
    const next = at === -1 ? (delta === 1 ? 0 : list.length - 1) : (at + delta + list.length) % list.length;
    select(list[next]!.id);
    return list[next];
  }

  function reset(): void {
    byId.clear();
    refusals.clear();
    busy.clear();
    disarm();
    selectedId.value = null;
    loadError.value = null;
  }

  return {
    byId,
    pending,
    recent,
    selected,
    selectedId,
    refusals,
    busy,
    loadError,
    armed,
    confirming,
    upsert,
    load,
    decide,
    select,
    step,
    pressApproveKey,
    disarm,
    reset,
  };
});
