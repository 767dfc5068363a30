import { onBeforeUnmount, onMounted } from 'vue';
import { resolveShortcut, type Command } from '../lib/shortcuts';

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** Global keyboard shortcuts (lib/shortcuts.ts), ignored while the operator types in a field. */
export function useShortcuts(handlers: Partial<Record<Command, () => void>>): void {
  const onKey = (e: KeyboardEvent): void => {
    const target = e.target as HTMLElement | null;
    // A shell owns every key, Escape included (vim, less): the terminal panel is never a shortcut target.
    if (target?.closest?.('[data-terminal]')) return;
    const command = resolveShortcut({
      key: e.key,
      ctrlKey: e.ctrlKey,
      metaKey: e.metaKey,
      altKey: e.altKey,
      inEditable: isEditable(target),
      inInbox: Boolean(target?.closest?.('[data-inbox]')),
    });
    const handler = command ? handlers[command] : undefined;
    if (!handler) return;
    e.preventDefault();
    handler();
  };
  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}
