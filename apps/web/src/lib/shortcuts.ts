export type Command =
  | 'focus-inbox'
  | 'next-approval'
  | 'prev-approval'
  | 'approve'
  | 'reject'
  | 'cycle-mode'
  | 'search-guests'
  | 'focus-timeline'
  | 'focus-chat'
  | 'open-settings'
  | 'toggle-help'
  | 'close';

export interface Shortcut {
  /** The keys as the help overlay prints them. */
  readonly keys: readonly string[];
  readonly command: Command;
  readonly description: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['i'], command: 'focus-inbox', description: 'Focus the approvals inbox' },
  { keys: ['j', '↓'], command: 'next-approval', description: 'Select the next pending approval' },
  { keys: ['k', '↑'], command: 'prev-approval', description: 'Select the previous pending approval' },
  {
    keys: ['a'],
    command: 'approve',
    description: 'Approve the selected request: press twice for YELLOW; RED asks its confirmation',
  },
  { keys: ['r'], command: 'reject', description: 'Reject the selected request' },
  { keys: ['/'], command: 'search-guests', description: 'Search guests' },
  { keys: ['t'], command: 'focus-timeline', description: 'Focus the timeline' },
  { keys: ['c'], command: 'focus-chat', description: 'Talk to JARVIS (focus the chat input)' },
  { keys: ['m'], command: 'cycle-mode', description: 'Switch visual mode (JARVIS → Ops → Minimal)' },
  { keys: ['s'], command: 'open-settings', description: 'Open settings (mode and colourway)' },
  { keys: ['?'], command: 'toggle-help', description: 'Show or hide this help' },
  { keys: ['Esc'], command: 'close', description: 'Close a dialog, leave a field or cancel a keyboard approval' },
];

const BY_KEY: Readonly<Record<string, Command>> = {
  i: 'focus-inbox',
  j: 'next-approval',
  ArrowDown: 'next-approval',
  k: 'prev-approval',
  ArrowUp: 'prev-approval',
  a: 'approve',
  r: 'reject',
  '/': 'search-guests',
  t: 'focus-timeline',
  c: 'focus-chat',
  m: 'cycle-mode',
  s: 'open-settings',
  '?': 'toggle-help',
  Escape: 'close',
};

export interface KeyInput {
  readonly key: string;
  readonly ctrlKey?: boolean;
  readonly metaKey?: boolean;
  readonly altKey?: boolean;
  /** The key went to a text field: only Escape is a shortcut there, everything else is typing. */
  readonly inEditable?: boolean;
  /** Arrow keys only move the inbox selection while the inbox has focus; elsewhere they scroll. */
  readonly inInbox?: boolean;
}

export function resolveShortcut(e: KeyInput): Command | undefined {
  if (e.ctrlKey || e.metaKey || e.altKey) return undefined;
  if (e.inEditable) return e.key === 'Escape' ? 'close' : undefined;
  if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && !e.inInbox) return undefined;
  return BY_KEY[e.key];
}
