/**
 * What an offline intent is: one module per intent, holding its phrases (the matcher) and its
 * examples (run by test/policies/intents). The registry tries them in order; the first that
 * recognises a message decides. A new intent is a new module and one line in the registry.
 */
import { type TurnIntent } from '../llm-router.policy';

export interface IntentGuest {
  readonly vmid: number;
  readonly name: string;
  readonly node: string;
  readonly type: 'qemu' | 'lxc';
}

export interface IntentCluster {
  readonly guests: readonly IntentGuest[];
  readonly nodes: readonly string[];
}

export interface ToolCall {
  readonly tool: string;
  readonly args: Record<string, unknown>;
}

export type IntentKind = 'status' | 'list' | 'whats-wrong' | 'approvals' | 'guest-status' | 'action' | 'greeting';

export type ParsedIntent =
  | { readonly kind: IntentKind; readonly intent: TurnIntent; readonly calls: readonly ToolCall[] }
  | { readonly kind: 'unknown'; readonly intent: 'none'; readonly calls: readonly []; readonly hint: string }
  | { readonly kind: 'unresolved'; readonly intent: 'action'; readonly calls: readonly []; readonly hint: string };

/** A phrase the intent must recognise, and what it must make of it (against the example cluster). */
export interface IntentExample {
  readonly say: string;
  readonly kind: ParsedIntent['kind'];
  readonly calls?: readonly ToolCall[];
  /** For an intent that recognises the message but cannot resolve it: what the hint says. */
  readonly hint?: RegExp;
}

export interface IntentModule {
  /** Names the module in tests and in the registry's order. */
  readonly id: string;
  /** How the operator may say it, for the offline help line. */
  readonly help?: string;
  /** The parsed intent for a normalised message, or undefined when this intent does not apply. */
  match(text: string, cluster: IntentCluster): ParsedIntent | undefined;
  readonly examples: readonly IntentExample[];
}

export function unresolved(hint: string): ParsedIntent {
  return { kind: 'unresolved', intent: 'action', calls: [], hint };
}

/** The cluster the examples are written against (the simulator's default guests). */
export const EXAMPLE_CLUSTER: IntentCluster = {
  nodes: ['home', 'pve', 'agent1', 'agent'],
  guests: [
    { vmid: 100, name: 'web-01', node: 'pve', type: 'qemu' },
    { vmid: 101, name: 'dns', node: 'home', type: 'lxc' },
    { vmid: 103, name: 'jarvis', node: 'agent1', type: 'qemu' },
    { vmid: 107, name: 'win11', node: 'pve', type: 'qemu' },
  ],
};
