import { defineStore } from 'pinia';
import { ref } from 'vue';
import { DEFAULT_COLOURWAY, findColourway, isMode, nextMode, type Mode } from '../lib/themes';
import { readJson, type KeyValueStorage } from './storage';

const KEY = 'jarvis.settings';

export const useSettingsStore = defineStore('settings', () => {
  const mode = ref<Mode>('jarvis');
  const colourway = ref<string>(DEFAULT_COLOURWAY);

  function setMode(m: Mode): void {
    mode.value = m;
  }
  function cycleMode(): Mode {
    mode.value = nextMode(mode.value);
    return mode.value;
  }
  function setColourway(id: string): void {
    colourway.value = findColourway(id).id;
  }

  /** Settings outlive a logout: they belong to the display, not to the operator's session. */
  function hydrate(storage: KeyValueStorage): void {
    const saved = readJson(storage, KEY) as { mode?: unknown; colourway?: unknown } | undefined;
    if (isMode(saved?.mode)) mode.value = saved.mode;
    if (typeof saved?.colourway === 'string') colourway.value = findColourway(saved.colourway).id;
  }
  function dehydrate(storage: KeyValueStorage): void {
    storage.setItem(KEY, JSON.stringify({ mode: mode.value, colourway: colourway.value }));
  }

  return { mode, colourway, setMode, cycleMode, setColourway, hydrate, dehydrate };
});
