import { onBeforeUnmount, onMounted, readonly, ref, type Ref } from 'vue';

// One ticking clock for every countdown and "ago" on screen, running only while someone shows one.
const now = ref(Date.now());
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

export function useNow(): Readonly<Ref<number>> {
  onMounted(() => {
    if (users++ === 0) {
      now.value = Date.now();
      timer = setInterval(() => (now.value = Date.now()), 1000);
    }
  });
  onBeforeUnmount(() => {
    if (--users === 0) clearInterval(timer);
  });
  return readonly(now);
}
