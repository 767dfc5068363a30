import { FitAddon } from '@xterm/addon-fit';
import { WebglAddon } from '@xterm/addon-webgl';
import { Terminal, type IDisposable } from '@xterm/xterm';
import { io, type Socket } from 'socket.io-client';
import { onBeforeUnmount, ref, shallowRef, type Ref } from 'vue';
import { http, isHttpError } from '../api/http';
import {
  clampTerminalSize,
  describeTerminalError,
  describeTerminalExit,
  stepUpNeed,
  terminalTheme,
  type StepUpNeed,
  type TerminalClientEvents,
  type TerminalReady,
  type TerminalServerEvents,
  type TerminalTicket,
  type TerminalTicketRequest,
} from '../lib/terminal';
import { renewSocketOnRefresh } from './socket-auth';

type TerminalSocket = Socket<TerminalServerEvents, TerminalClientEvents>;

export type TerminalState =
  'connecting' | 'ready' | 'confirm' | 'opening' | 'open' | 'closed' | 'error' | 'unavailable';

/** A popped-out window's credentials: a single-use ticket for one node, instead of the token. */
export interface TerminalPopout {
  readonly node: string;
  readonly ticket: string;
}
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
export function useTerminalSession(
  container: Ref<HTMLElement | null>,
  token: () => string | null,
  popout?: TerminalPopout,
) {
  const state = ref<TerminalState>('connecting');
  /** What the step-up asks before the chosen node opens (state 'confirm'). */
  const need = ref<StepUpNeed | null>(null);
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
  /** The pop-out's ticket, used by its first open. */
  let popoutTicket = popout?.ticket ?? null;
  /** Jarvis's own node, once its name was typed here: a pop-out of it reuses the answer. */
  let typedName: string | null = null;

  function connect(): void {
    const t = token();
    if (!t && !popout) {
      state.value = 'error';
      message.value = 'Not logged in.';
      return;
    }
    const s: TerminalSocket = io('/terminal', {
      // A function: a reconnect presents the newest token, not the one the panel opened with.
      // A pop-out authenticates with its ticket: no token is ever put in its address.
      auth: (cb) => cb(t ? { token: token() ?? t } : { ticket: popout!.ticket }),
      ...(popout ? { reconnection: false } : {}),
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
      const want = node.value ?? popout?.node ?? null;
      if (want && r.nodes.includes(want)) open(want);
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
        ? popout
          ? 'This pop-out has been used or has expired: pop the terminal out again from the dashboard.'
          : 'Not authorised.'
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
    need.value = null;
  }

  /**
   * Step-up: a ticket for `target` from POST /api/terminal/tickets. A fresh login needs nothing
   * more; otherwise the answer says what to ask the operator (the password, and on Jarvis's own
   * node its name), and `confirm` asks again with them.
   */
  async function requestTicket(
    target: string,
    extra: Omit<TerminalTicketRequest, 'node'>,
  ): Promise<{ ticket: string } | { need: StepUpNeed; code: string } | { error: string }> {
    if (popout) {
      if (popoutTicket && popout.node === target) {
        const ticket = popoutTicket;
        popoutTicket = null;
        return { ticket };
      }
      return { error: 'This pop-out opened its one terminal: pop it out again from the dashboard.' };
    }
    const asksName = ready.value?.confirmNodes?.includes(target) === true;
    try {
      const res = await http.post<TerminalTicket>('/api/terminal/tickets', {
        node: target,
        ...(extra.password !== undefined ? { password: extra.password } : {}),
        ...(asksName && extra.confirmNode !== undefined ? { confirmNode: extra.confirmNode } : {}),
      });
      if (asksName && extra.confirmNode === target) typedName = target;
      return { ticket: res.ticket };
    } catch (err) {
      const code = isHttpError(err) ? err.code : 'NETWORK';
      const asked = stepUpNeed(code, need.value);
      if (!asked) return { error: describeTerminalError(code, (err as Error).message) };
      // Jarvis's own node: the name is asked together with the password, in one form.
      return { need: asksName ? { ...asked, nodeName: true } : asked, code };
    }
  }

  function askOperator(target: string, asked: StepUpNeed, code: string): void {
    need.value = asked;
    state.value = 'confirm';
    message.value =
      code === 'STEP_UP_FAILED'
        ? 'Wrong password.'
        : code === 'RATE_LIMITED'
          ? 'Too many wrong passwords; try again later.'
          : asked.nodeName
            ? `${target} runs Jarvis itself: type the node's name${asked.password ? ' and confirm your password' : ''} to open.`
            : 'Confirm your password to open a terminal.';
  }

  /** The answer to the panel's confirmation form. */
  function confirm(answer: { password?: string; nodeName?: string }): void {
    if (!node.value || state.value !== 'confirm') return;
    void openWith(node.value, {
      ...(answer.password ? { password: answer.password } : {}),
      ...(answer.nodeName ? { confirmNode: answer.nodeName } : {}),
    });
  }

  /**
   * A ticket for a popped-out window on the open node: the same step-up (the login or the
   * confirmation just given is fresh; the node's name, where needed, is the one just typed).
   */
  async function popoutTicketFor(target: string): Promise<string | undefined> {
    const r = await requestTicket(target, typedName === target ? { confirmNode: target } : {});
    if ('ticket' in r) return r.ticket;
    message.value = 'error' in r ? r.error : 'Confirm your password again (close and reopen) to pop out.';
    return undefined;
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
    void openWith(target, {});
  }

  async function openWith(target: string, extra: Omit<TerminalTicketRequest, 'node'>): Promise<void> {
    const myRef = `r${++refSeq}`;
    pendingRef = myRef;
    state.value = 'opening';
    message.value = `Connecting to ${target}…`;
    const r = await requestTicket(target, extra);
    // The operator may have picked another node, or closed, while the ticket was on its way.
    if (pendingRef !== myRef || node.value !== target || disposed) return;
    if (!('ticket' in r)) {
      pendingRef = null;
      if ('need' in r) askOperator(target, r.need, r.code);
      else {
        state.value = 'error';
        message.value = r.error;
      }
      return;
    }
    need.value = null;
    const size = fitNow() ?? { cols: 80, rows: 24 };
    socket?.emit('terminal.open', { node: target, cols: size.cols, rows: size.rows, ref: myRef, ticket: r.ticket });
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

  return {
    state,
    message,
    node,
    need,
    ready,
    renderer,
    sessionId,
    start,
    open,
    confirm,
    popoutTicketFor,
    close,
    applyTheme,
    focus,
    dispose,
  };
}
