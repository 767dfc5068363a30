import { watchEffect } from 'vue';
import { colourwayVariables, findColourway } from '../lib/themes';
import { useSettingsStore } from '../stores/settings';

/** Puts the chosen colourway's custom properties and the mode on <html>, where every style reads them. */
export function useTheme(): void {
  const settings = useSettingsStore();
  watchEffect(() => {
    const root = document.documentElement;
    const c = findColourway(settings.colourway);
    for (const [name, value] of Object.entries(colourwayVariables(c))) root.style.setProperty(name, value);
    root.dataset['theme'] = c.id;
    root.dataset['mode'] = settings.mode;
    document.querySelector('meta[name="theme-color"]')?.setAttribute('content', c.bg);
  });
}

export function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}
