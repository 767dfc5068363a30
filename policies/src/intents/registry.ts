import { approvalsIntent } from './approvals.intent';
import { greetingIntent } from './greeting.intent';
import { type IntentModule } from './intent';
import { listIntent } from './list.intent';
import { powerActionIntent } from './power-action.intent';
import { statusIntent } from './status.intent';
import { whatsWrongIntent } from './whats-wrong.intent';

/**
 * The offline parser's intents, in the order they are tried: the first that recognises a message
 * decides. Specific before general: approvals and problems before a power verb (so "any errors on
 * the stopped vm?" is a question, not a stop), a power verb before a status question.
 */
export const INTENTS: readonly IntentModule[] = Object.freeze([
  approvalsIntent,
  whatsWrongIntent,
  powerActionIntent,
  statusIntent,
  listIntent,
  greetingIntent,
]);
