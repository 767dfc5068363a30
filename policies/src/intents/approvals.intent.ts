import { type IntentModule } from './intent';

/** "any pending approvals?": what waits for an operator. */
export const approvalsIntent: IntentModule = {
  id: 'approvals',
  help: '"pending approvals"',
  match(text) {
    if (/\b(?:approvals?|confirmations?)\b/.test(text) && /\b(?:pending|waiting|open|any|list|show)\b/.test(text))
      return { kind: 'approvals', intent: 'query', calls: [{ tool: 'approval.list', args: {} }] };
    return undefined;
  },
  examples: [
    { say: 'any pending approvals?', kind: 'approvals', calls: [{ tool: 'approval.list', args: {} }] },
    { say: 'show confirmations waiting', kind: 'approvals', calls: [{ tool: 'approval.list', args: {} }] },
  ],
};
