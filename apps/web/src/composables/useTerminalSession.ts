import { FitAddon } from '@xterm/addon-fit';
import { WebglAddon } from '@xterm/addon-webgl';
import { Terminal, type IDisposable } from '@xterm/xterm';
import { io, type Socket } from 'socket.io-client';
import { onBeforeUnmount, ref, shallowRef, type Ref } from 'vue';
import {
  clampTerminalSize,
  describeTerminalError,
  describeTerminalExit,
  terminalTheme,
  type TerminalClientEvents,
  type TerminalReady,
  type TerminalServerEvents,
} from '../lib/terminal';
import { renewSocketOnRefresh } from './socket-auth';

type TerminalSocket = Socket<TerminalServerEvents, TerminalClientEvents>;

export type TerminalState = 'connecting' | 'ready' | 'opening' | 'open' | 'closed' | 'error' | 'unavailable';
export type TerminalRenderer = 'webgl' | 'dom' | 'none';

/** One xterm and what hangs off it; plain objects, never reactive (xterm's internals are big and self-managed). */
interface View {
  readonly term: Terminal;
  readonly fit: FitAddon;
  readonly subscriptions: IDisposable[];
  webgl?: WebglAddon;
}

let refSeq = 0;

function readCss(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name);
}

/**
 * The operator's shell in the terminal panel: the authenticated /terminal socket, one xterm per
 * session, and the PTY protocol between them. The Terminal, its addons and the socket live in
 * plain variables of this closure (the house rule: big external objects stay out of Pinia and of
 * reactivity); only what the template shows is reactive. Everything is released on unmount.
 */
export function useTerminalSession(container: Ref<HTMLElement | null>, token: () => string | null) {
  const state = ref<TerminalState>('connecting');
  const message = ref('');
  const node = ref<string | null>(null);
  const ready = shallowRef<TerminalReady | null>(null);
  const renderer = ref<TerminalRenderer>('none');
  const sessionId = ref<string | null>(null);

  let socket: TerminalSocket | null = null;
  let view: View | null = null;
  let pendingRef: string | null = null;
  let observer: ResizeObserver | null = null;
  let fitFrame = 0;
  let disposed = false;
  let stopRenewing: (() => void) | undefined;

  function connect(): void {
    const t = token();
    if (!t) {
      state.value = 'error';
      message.value = 'Not logged in.';
      return;
    }
    const s: TerminalSocket = io('/terminal', {
      // A function: a reconnect presents the newest token, not the one the panel opened with.
      auth: (cb) => cb({ token: token() ?? t }),
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
      timeout: 5000,
    });
    socket = s;
    // Handed each renewed token, the server keeps the shell open past the handshake token's expiry.
    stopRenewing = renewSocketOnRefresh(s as unknown as Socket);
    s.on('terminal.ready', (r) => {
      ready.value = r;
      if (!r.available) {
        state.value = 'unavailable';
        message.value = 'SSH is not configured on this Jarvis.';
        return;
      }
      // A reconnect lost the server side of any session; the operator's node choice stays.
      if (node.value && r.nodes.includes(node.value)) open(node.value);
      else state.value = 'ready';
    });
    s.on('terminal.opened', (e) => {
      if (e.ref === undefined || e.ref !== pendingRef) {
        // Opened for a node the operator has since left: close it at once.
        s.emit('terminal.close', { id: e.id });
        return;
      }
      pendingRef = null;
      sessionId.value = e.id;
      state.value = 'open';
      message.value = '';
      // The panel may have changed size while the shell was being opened.
      scheduleFit(true);
      view?.term.focus();
    });
    s.on('terminal.output', (e) => {
      if (e.id === sessionId.value) view?.term.write(e.data);
    });
    s.on('terminal.exit', (e) => {
      if (e.id !== sessionId.value) return;
      sessionId.value = null;
      state.value = 'closed';
      message.value = describeTerminalExit(e);
      view?.term.write(`\r\n\x1b[2m[${message.value}]\x1b[0m\r\n`);
    });
    s.on('terminal.error', (e) => {
      if (e.ref !== undefined) {
        // The answer to an open: only the latest one counts.
        if (e.ref !== pendingRef) return;
        pendingRef = null;
        state.value = e.code === 'UNAVAILABLE' ? 'unavailable' : 'error';
      } else if (e.id !== undefined && e.id !== sessionId.value) return;
      message.value = describeTerminalError(e.code, e.message);
    });
    s.on('connect_error', (err) => {
      state.value = 'error';
      message.value = /unauthori[sz]ed/i.test(err.message)
        ? 'Not authorised.'
        : `Cannot reach the terminal: ${err.message}`;
    });
    s.on('disconnect', () => {
      if (disposed) return;
      sessionId.value = null;
      pendingRef = null;
      if (state.value === 'open' || state.value === 'opening') {
        state.value = 'connecting';
        message.value = 'Connection lost; reconnecting…';
      }
    });
  }

  function createView(host: HTMLElement): View {
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: readCss('--font').trim() || 'monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: terminalTheme(readCss),
      allowProposedApi: false,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host);
    const v: View = { term, fit, subscriptions: [] };
    try {
      const webgl = new WebglAddon();
      // A lost GPU context falls back to the DOM renderer: disposing the addon hands drawing back to xterm.
      v.subscriptions.push(
        webgl.onContextLoss(() => {
          webgl.dispose();
          if (v.webgl === webgl) v.webgl = undefined;
          if (view === v) renderer.value = 'dom';
        }),
      );
      term.loadAddon(webgl);
      v.webgl = webgl;
      renderer.value = 'webgl';
    } catch {
      // No WebGL2 here (a headless or blocklisted GPU): xterm's DOM renderer draws instead.
      renderer.value = 'dom';
    }
    v.subscriptions.push(
      term.onData((data) => {
        if (sessionId.value) socket?.emit('terminal.input', { id: sessionId.value, data });
      }),
      term.onResize(({ cols, rows }) => {
        if (sessionId.value) socket?.emit('terminal.resize', { id: sessionId.value, cols, rows });
      }),
    );
    return v;
  }

  function disposeView(): void {
    const v = view;
    view = null;
    if (!v) return;
    for (const d of v.subscriptions) d.dispose();
    // Disposing the terminal disposes its addons too (fit, webgl) and removes its DOM.
    v.term.dispose();
    renderer.value = 'none';
  }

  function closeSession(): void {
    if (sessionId.value) socket?.emit('terminal.close', { id: sessionId.value });
    sessionId.value = null;
    pendingRef = null;
  }

  /**
   * Opens a shell on `target`, closing the current session first. The xterm itself is kept and
   * reset, not rebuilt: one Terminal (with its renderer and GPU context) serves every node the
   * operator visits, so switching nodes allocates nothing that could pile up. It is disposed on
   * close and on unmount.
   */
  function open(target: string): void {
    node.value = target;
    const host = container.value;
    if (!socket || !host || !socket.connected || !ready.value?.available) return;
    closeSession();
    if (view) view.term.reset();
    else view = createView(host);
    const size = fitNow() ?? { cols: 80, rows: 24 };
    pendingRef = `r${++refSeq}`;
    state.value = 'opening';
    message.value = `Connecting to ${target}…`;
    socket.emit('terminal.open', { node: target, cols: size.cols, rows: size.rows, ref: pendingRef });
  }

  /** Fits the xterm to the panel now; its onResize sends the new size to the PTY. */
  function fitNow(): { cols: number; rows: number } | undefined {
    if (!view) return undefined;
    const proposed = view.fit.proposeDimensions();
    const size = clampTerminalSize(proposed?.cols, proposed?.rows);
    // A hidden panel measures 0 × 0: keep the last size rather than shrink the shell to nothing.
    if (size && (size.cols !== view.term.cols || size.rows !== view.term.rows)) view.term.resize(size.cols, size.rows);
    return size ?? { cols: view.term.cols, rows: view.term.rows };
  }

  function scheduleFit(announce = false): void {
    cancelAnimationFrame(fitFrame);
    fitFrame = requestAnimationFrame(() => {
      const before = view ? `${view.term.cols}x${view.term.rows}` : '';
      const size = fitNow();
      // After an open, the server may hold an older size than the xterm: say it once even if unchanged.
      if (announce && size && sessionId.value && before === `${size.cols}x${size.rows}`)
        socket?.emit('terminal.resize', { id: sessionId.value, cols: size.cols, rows: size.rows });
    });
  }

  function close(): void {
    closeSession();
    disposeView();
    node.value = null;
    state.value = ready.value?.available ? 'ready' : state.value;
    message.value = '';
  }

  /** Follows the dashboard's colourway. */
  function applyTheme(): void {
    if (view) view.term.options.theme = terminalTheme(readCss);
  }

  function focus(): void {
    view?.term.focus();
  }

  function start(): void {
    connect();
    if (container.value) {
      observer = new ResizeObserver(() => scheduleFit());
      observer.observe(container.value);
    }
  }

  function dispose(): void {
    if (disposed) return;
    disposed = true;
    cancelAnimationFrame(fitFrame);
    observer?.disconnect();
    observer = null;
    closeSession();
    disposeView();
    stopRenewing?.();
    const s = socket;
    socket = null;
    if (s) {
      s.removeAllListeners();
      // Leaving the socket closes every PTY it held on the server as well.
      s.disconnect();
    }
  }

  onBeforeUnmount(dispose);

  return { state, message, node, ready, renderer, sessionId, start, open, close, applyTheme, focus, dispose };
}
