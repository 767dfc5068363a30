/**
 * The offline intent parser: the last resort when no language model is reachable, and the
 * demo's default without an API key. Deterministic and small on purpose: it understands the
 * core commands and turns them into calls of the same catalog tools, which then go through the
 * same tier policy as any model's tool call. What it does not understand, it says so.
 *
 * Each intent is its own module under intents/ with its phrases and examples; this file only asks
 * the registry, in order.
 */
import { type IntentCluster, type ParsedIntent } from './intents/intent';
import { INTENTS } from './intents/registry';
import { findNode, normaliseCommand } from './intents/text';

export type {
  IntentCluster,
  IntentExample,
  IntentGuest,
  IntentKind,
  IntentModule,
  ParsedIntent,
  ToolCall,
} from './intents/intent';
export { EXAMPLE_CLUSTER } from './intents/intent';
export { INTENTS } from './intents/registry';
export { normaliseCommand } from './intents/text';

const HELP = `I understand: ${INTENTS.flatMap((i) => (i.help ? [i.help] : [])).join(', ')}.`;

export function parseIntent(raw: string, cluster: IntentCluster): ParsedIntent {
  const text = normaliseCommand(raw);
  if (text !== '')
    for (const intent of INTENTS) {
      const parsed = intent.match(text, cluster);
      if (parsed) return parsed;
    }
  return { kind: 'unknown', intent: 'none', calls: [], hint: HELP };
}

/**
 * Whether a message wants live data or an action (tools), or is conversation. Errs towards
 * tools: a wrong "conversation" would answer a real question without looking.
 */
export function needsTools(raw: string, cluster: IntentCluster): boolean {
  const parsed = parseIntent(raw, cluster);
  if (parsed.kind !== 'unknown' && parsed.kind !== 'greeting') return true;
  const text = normaliseCommand(raw);
  return (
    /\b(?:vm|vms|ct|guest|node|nodes|cluster|storage|disk|cpu|memory|ram|load|task|tasks|log|logs|service|ssh|uptime|backup|snapshot|proxmox|pve)\b/.test(
      text,
    ) ||
    /\b\d{3,9}\b/.test(text) ||
    findNode(text, cluster) !== undefined
  );
}
