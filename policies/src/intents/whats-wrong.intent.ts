import { type IntentModule, type ToolCall } from './intent';

const CALLS: readonly ToolCall[] = [
  { tool: 'cluster.status', args: {} },
  { tool: 'task.recent', args: { errorsOnly: true, limit: 10 } },
];

/** "what's wrong?": the cluster's state and the recent failed tasks. */
export const whatsWrongIntent: IntentModule = {
  id: 'whats-wrong',
  help: '"what\'s wrong"',
  match(text) {
    if (/\bwhat(?:'s| is)? (?:wrong|broken|failing)\b|\b(?:any )?(?:problems?|issues?|errors?|alerts?)\b/.test(text))
      return { kind: 'whats-wrong', intent: 'query', calls: CALLS };
    return undefined;
  },
  examples: [
    { say: "what's wrong?", kind: 'whats-wrong', calls: CALLS },
    { say: 'any problems', kind: 'whats-wrong', calls: CALLS },
  ],
};
