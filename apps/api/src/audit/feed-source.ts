/** Who a feed item comes from, as the dashboard filters it. */
export const FEED_SOURCES = ['monitor', 'chat', 'operator', 'runbook'] as const;
export type FeedSource = (typeof FEED_SOURCES)[number];

/** Workflow families (the workflow ID up to its first colon) by the source they speak for. */
const FAMILIES: Readonly<Record<FeedSource, readonly string[]>> = {
  monitor: ['monitor'],
  runbook: ['remediate', 'guardian'],
  chat: ['chat'],
  operator: ['vm-action', 'guardrails', 'replay'],
};

/** A FeedSource, or the workflow family of anything no source speaks for. */
export function feedSourceOf(workflowId: string): string {
  const family = workflowId.split(':')[0] ?? workflowId;
  for (const source of FEED_SOURCES) if (FAMILIES[source].includes(family)) return source;
  return family;
}

/** The workflow families a `source` filter matches: a source name, or (as before) one family. */
export function familiesFor(source: string): readonly string[] {
  return (FEED_SOURCES as readonly string[]).includes(source) ? FAMILIES[source as FeedSource] : [source];
}
