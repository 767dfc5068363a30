import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { parsePopoutHash } from './lib/terminal';
import './styles/base.css';

// A popped-out terminal carries its single-use ticket in the fragment; it is taken out of the
// address (and so out of the history) before anything else runs. Its window loads only the
// terminal, on demand, so xterm stays out of the dashboard's initial bundle.
const popout = parsePopoutHash(location.hash);
if (popout) {
  history.replaceState(null, '', location.pathname);
  void import('./components/TerminalPopoutWindow.vue').then(({ default: TerminalPopoutWindow }) =>
    createApp(TerminalPopoutWindow, { popout }).use(createPinia()).mount('#app'),
  );
} else {
  createApp(App).use(createPinia()).mount('#app');
}
