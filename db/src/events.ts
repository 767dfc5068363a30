/** The Postgres NOTIFY channel that carries projection changes to the API's live sockets. */
export const EVENTS_CHANNEL = 'jarvis_events';

export type JarvisEvent =
  | { readonly type: 'approval'; readonly id: string; readonly workflowId: string; readonly state: string }
  | {
      readonly type: 'step';
      readonly workflowId: string;
      readonly kind: string;
      readonly title: string;
      readonly at: string;
    }
  | { readonly type: 'archived'; readonly workflowId: string; readonly outcome: string | null }
  | { readonly type: 'incident'; readonly id: string; readonly workflowId: string; readonly state: string };

/** NOTIFY payloads are capped at 8000 bytes, so events carry keys and the client re-reads. */
export function encodeEvent(event: JarvisEvent): string {
  const text = JSON.stringify(event);
  return text.length < 7_900 ? text : JSON.stringify({ ...event, title: '' });
}
