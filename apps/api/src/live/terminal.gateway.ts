import { StringDecoder } from 'node:string_decoder';
import { Inject, type BeforeApplicationShutdown } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { type Socket } from 'socket.io';
import { type ClientChannel } from 'ssh2';
import { AuditRepository, TerminalRecordingsRepository } from '@jarvis/db';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { AuthService } from '../auth/auth.service';
import { ulid } from '../guests/workflow-id';
import { SshAccess } from '../infra/ssh.providers';
import { TerminalAccessService } from '../terminal/terminal-access.service';
import { AuthenticatedGateway, type Middleware } from './authenticated.gateway';
import { type SocketSession } from './live-events';
import {
  type TerminalClientEvents,
  type TerminalCloseReason,
  type TerminalErrorCode,
  type TerminalServerEvents,
} from './terminal-events';
import { parseClose, parseInput, parseOpen, parseResize, refOf, TICKET, type OpenPayload } from './terminal-payloads';
import { CastRecorder } from './terminal-recorder';

type TerminalSocket = Socket<TerminalClientEvents, TerminalServerEvents>;

/** How long a closed channel may take to confirm before the session is ended on our side anyway. */
const CLOSE_GRACE_MS = 3000;
/** Recordings are appended to the audit store this often, so a crash loses about this much. */
const RECORDING_FLUSH_MS = 1000;
/** …or sooner, once this much is waiting. */
const RECORDING_FLUSH_BYTES = 64 * 1024;

/** What a socket authenticated by a terminal ticket (a popped-out window) carries besides its operator. */
interface TicketSocketData {
  ticketNode?: string;
}

interface Recording {
  readonly recorder: CastRecorder;
  /** Appends run one after another, after the row exists; settles false once one failed. */
  chain: Promise<boolean>;
  seq: number;
  timer?: NodeJS.Timeout;
}

interface TerminalSession {
  readonly id: string;
  readonly user: string;
  readonly node: string;
  readonly socket: TerminalSocket;
  readonly channel: ClientChannel;
  readonly openedAt: number;
  readonly decoder: StringDecoder;
  /** Settles true once the "opened" audit row is written (false if it could not be). */
  readonly audited: Promise<boolean>;
  idle?: NodeJS.Timeout;
  /** Output held back until `terminal.opened` went out, so the first prompt is not lost. */
  held: string[] | null;
  readonly recording: Recording;
  exitCode?: number;
  closeReason?: TerminalCloseReason;
  ended: boolean;
}

/** Audit rows need a workflow ID: each terminal session is its own pseudo-workflow (feed source "terminal"). */
const auditStream = (id: string): string => `terminal:${id}`;

function errorCode(err: unknown): TerminalErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z_]{2,32}$/.test(code) ? code : 'UNAVAILABLE';
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * /terminal: the operator's shell on a node, an SSH PTY per session streamed over socket.io.
 * The JWT is checked at the handshake (AuthenticatedGateway). Every payload is validated and a
 * bad one gets `terminal.error { code: 'BAD_INPUT' }`; sessions belong to the socket that opened
 * them, end with it (tab closed), after the idle timeout, or on request, and count against a
 * per-operator limit. Opening and closing are audit rows: who, which node, when, how long.
 */
@WebSocketGateway({ namespace: '/terminal', serveClient: false })
export class TerminalGateway extends AuthenticatedGateway implements BeforeApplicationShutdown {
  private readonly sessions = new Map<string, TerminalSession>();
  /** Open and opening sessions per operator, across all their sockets. */
  private readonly perUser = new Map<string, number>();
  private readonly finished = new Set<Promise<void>>();

  constructor(
    auth: AuthService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly ssh: SshAccess,
    private readonly audit: AuditRepository,
    private readonly access: TerminalAccessService,
    private readonly recordings: TerminalRecordingsRepository,
  ) {
    super(auth);
  }

  /**
   * Besides a token, a /terminal handshake may carry a live terminal ticket instead (a popped-out
   * window gets one, never the JWT): the socket is then its operator's until the token that asked
   * for the ticket expires, and can open only what a ticket allows. The ticket is not used up here;
   * the open redeems it. Token handshakes go through the shared middleware unchanged.
   */
  protected override handshake(): Middleware {
    const byToken = super.handshake();
    return (socket, next) => {
      const auth = socket.handshake.auth as Record<string, unknown> | undefined;
      const ticket = auth?.['ticket'];
      if (auth?.['token'] !== undefined || typeof ticket !== 'string') return byToken(socket, next);
      const grant = TICKET.test(ticket) ? this.access.tickets.peek(ticket) : undefined;
      if (!grant) {
        next(new Error('unauthorized: the terminal ticket is unknown, used or expired'));
        return;
      }
      const data = socket.data as SocketSession & TicketSocketData;
      data.user = { username: grant.operator };
      // The session of the token that asked for the ticket: a logout drops this socket too.
      if (grant.sessionId) data.sessionId = grant.sessionId;
      data.expiresAtMs = grant.tokenExpiresAtMs;
      data.ticketNode = grant.node;
      next();
    };
  }

  /** Open sessions, for tests and health: on every socket, or on one node. */
  openSessions(node?: string): number {
    return [...this.sessions.values()].filter((s) => !s.ended && (node === undefined || s.node === node)).length;
  }

  override handleConnection(raw: Socket): void {
    super.handleConnection(raw);
    const socket = raw as TerminalSocket;
    const on = (event: keyof TerminalClientEvents, handler: (payload: unknown) => Promise<void> | void): void => {
      raw.on(event, (payload: unknown) => {
        // Client input never reaches an unhandled rejection: whatever slips through is logged, not thrown.
        Promise.resolve()
          .then(() => handler(payload))
          .catch((err: unknown) => {
            this.logger.error(`terminal ${event} failed: ${(err as Error)?.message ?? String(err)}`);
            this.refuse(socket, 'UNAVAILABLE', 'the request failed');
          });
      });
    };
    on('terminal.open', (p) => this.open(socket, p));
    on('terminal.input', (p) => this.input(socket, p));
    on('terminal.resize', (p) => this.resize(socket, p));
    on('terminal.close', (p) => this.closeRequested(socket, p));
    socket.once('disconnect', () => {
      for (const s of this.sessions.values()) if (s.socket === socket) this.close(s, 'disconnect');
    });
    socket.emit('terminal.ready', {
      available: this.ssh.available,
      nodes: this.ssh.nodes,
      idleTimeoutMs: this.config.terminalIdleMs,
      maxSessions: this.config.terminalMaxPerUser,
      confirmNodes: this.access.ownNodes(),
      ...((socket.data as TicketSocketData).ticketNode !== undefined
        ? { ticketNode: (socket.data as TicketSocketData).ticketNode }
        : {}),
    });
  }

  private refuse(
    socket: TerminalSocket,
    code: TerminalErrorCode,
    message: string,
    ids: { id?: string; ref?: string } = {},
  ) {
    if (socket.connected) socket.emit('terminal.error', { code, message, ...ids });
  }

  private username(socket: TerminalSocket): string {
    return (socket.data as SocketSession).user.username;
  }

  private async open(socket: TerminalSocket, payload: unknown): Promise<void> {
    const ref = refOf(payload);
    const runner = this.ssh.runner;
    if (!runner) {
      this.refuse(socket, 'UNAVAILABLE', 'SSH is not configured on this Jarvis (SSH_KEY_FILE, SSH_NODES, …)', ref);
      return;
    }
    const parsed = parseOpen(payload, this.ssh.nodes);
    if (!parsed.ok) {
      this.refuse(socket, 'BAD_INPUT', parsed.reason, ref);
      return;
    }
    const want = parsed.value;
    const user = this.username(socket);
    // Step-up: a token alone never opens a shell; the open must carry a ticket that proves a fresh
    // login or password confirmation (and, on Jarvis's own node, the node's name typed).
    const redeemed = want.ticket
      ? this.access.tickets.redeem(want.ticket, user, want.node)
      : ({ ok: false, reason: 'confirm your password to open a terminal (no terminal ticket)' } as const);
    if (!redeemed.ok) {
      const code = want.ticket ? 'TICKET_REFUSED' : 'STEP_UP_REQUIRED';
      this.refuse(socket, code, redeemed.reason, ref);
      this.auditRefusal(user, want.node, code, redeemed.reason);
      return;
    }
    const held = this.perUser.get(user) ?? 0;
    if (held >= this.config.terminalMaxPerUser) {
      this.refuse(
        socket,
        'LIMIT',
        `at most ${this.config.terminalMaxPerUser} terminals per operator; close one first`,
        ref,
      );
      return;
    }
    this.perUser.set(user, held + 1);
    let channel: ClientChannel;
    try {
      channel = await runner.shell(want.node, { cols: want.cols, rows: want.rows, term: 'xterm-256color' });
    } catch (err) {
      this.release(user);
      this.logger.warn(`terminal on ${want.node} for ${user} could not open: ${(err as Error)?.message ?? err}`);
      this.refuse(socket, errorCode(err), `could not open a shell (${(err as Error)?.message ?? 'SSH failed'})`, ref);
      return;
    }
    if (!socket.connected) {
      // The tab went away while the shell was opening: nobody ever saw it, so nothing to audit.
      this.release(user);
      channel.close();
      return;
    }
    this.start(socket, user, want, channel);
  }

  private auditRefusal(user: string, node: string, code: string, reason: string): void {
    const at = new Date().toISOString();
    this.audit
      .record({
        workflowId: auditStream(ulid()),
        activityId: 'refused',
        kind: 'terminal-refused',
        title: `${user} was refused a terminal on ${node}: ${reason}`,
        actor: user,
        node,
        detail: { code, reason },
        at,
      })
      .catch((err: unknown) =>
        this.logger.error(`a refused terminal open could not be audited: ${(err as Error).message}`),
      );
  }

  private start(socket: TerminalSocket, user: string, want: OpenPayload, channel: ClientChannel): void {
    const id = ulid();
    const openedAt = Date.now();
    const recorder = new CastRecorder({
      startedAtMs: openedAt,
      cols: want.cols,
      rows: want.rows,
      maxBytes: this.config.terminalRecordingMaxBytes,
      title: `${user}@${want.node}`,
    });
    const recordingStarted = this.recordings
      .start({
        id,
        operator: user,
        node: want.node,
        cols: want.cols,
        rows: want.rows,
        startedAt: new Date(openedAt).toISOString(),
        header: recorder.headerLine,
      })
      .then(
        () => true,
        (err: unknown) => {
          this.logger.error(`terminal ${id}: the recording could not start: ${(err as Error).message}`);
          return false;
        },
      );
    const openingAudited = this.audit
      .record({
        workflowId: auditStream(id),
        activityId: 'open',
        kind: 'terminal-opened',
        title: `${user} opened a terminal on ${want.node}`,
        actor: user,
        node: want.node,
        detail: { cols: want.cols, rows: want.rows },
        at: new Date(openedAt).toISOString(),
      })
      .then(
        () => true,
        (err: unknown) => {
          this.logger.error(`terminal ${id}: the opening could not be audited: ${(err as Error).message}`);
          return false;
        },
      );
    // A shell is handed out only once both its audit row and its recording exist.
    const audited = Promise.all([openingAudited, recordingStarted]).then(([a, r]) => a && r);
    const session: TerminalSession = {
      id,
      user,
      node: want.node,
      socket,
      channel,
      openedAt,
      decoder: new StringDecoder('utf8'),
      audited,
      held: [],
      recording: { recorder, chain: recordingStarted, seq: 0 },
      ended: false,
    };
    this.sessions.set(id, session);
    session.recording.timer = setInterval(() => void this.flushRecording(session), RECORDING_FLUSH_MS);
    session.recording.timer.unref();

    const output = (chunk: Buffer | string): void => {
      const data = typeof chunk === 'string' ? chunk : session.decoder.write(chunk);
      if (data.length === 0) return;
      this.record(session, (r, now) => r.output(data, now));
      if (session.held) session.held.push(data);
      else if (socket.connected) socket.emit('terminal.output', { id, data });
    };
    channel.on('data', output);
    channel.stderr.on('data', output);
    channel.on('exit', (code: number | null) => {
      if (typeof code === 'number') session.exitCode = code;
    });
    channel.on('error', (err: Error) => {
      this.logger.warn(`terminal ${id}: channel error: ${err.message}`);
      this.close(session, 'error');
    });
    channel.once('close', () => this.finish(session, session.closeReason ?? 'exit'));
    session.idle = setTimeout(() => this.idleOut(session), this.config.terminalIdleMs);
    session.idle.unref();

    void audited.then((ok) => {
      if (session.ended) return;
      if (!ok) {
        // A shell nobody can account for is not handed out.
        this.refuse(socket, 'UNAVAILABLE', 'the terminal could not be audited; try again', {
          ...(want.ref !== undefined ? { ref: want.ref } : {}),
        });
        this.close(session, 'error');
        return;
      }
      socket.emit('terminal.opened', { id, node: want.node, ...(want.ref !== undefined ? { ref: want.ref } : {}) });
      const held = session.held ?? [];
      session.held = null;
      if (held.length > 0) socket.emit('terminal.output', { id, data: held.join('') });
      this.logger.log(`terminal ${id}: ${user} on ${want.node}`);
    });
  }

  private own(socket: TerminalSocket, id: string): TerminalSession | undefined {
    const s = this.sessions.get(id);
    return s && s.socket === socket && !s.ended ? s : undefined;
  }

  private input(socket: TerminalSocket, payload: unknown): void {
    const parsed = parseInput(payload);
    if (!parsed.ok) return this.refuse(socket, 'BAD_INPUT', parsed.reason);
    const s = this.own(socket, parsed.value.id);
    if (!s || s.held) return this.refuse(socket, 'NOT_FOUND', 'no such terminal', { id: parsed.value.id });
    s.idle?.refresh();
    s.channel.write(parsed.value.data);
    this.record(s, (r, now) => r.input(parsed.value.data, now));
  }

  private resize(socket: TerminalSocket, payload: unknown): void {
    const parsed = parseResize(payload);
    if (!parsed.ok) return this.refuse(socket, 'BAD_INPUT', parsed.reason);
    const s = this.own(socket, parsed.value.id);
    if (!s) return this.refuse(socket, 'NOT_FOUND', 'no such terminal', { id: parsed.value.id });
    s.channel.setWindow(parsed.value.rows, parsed.value.cols, 0, 0);
    this.record(s, (r, now) => r.resize(parsed.value.cols, parsed.value.rows, now));
  }

  private record(s: TerminalSession, event: (r: CastRecorder, nowMs: number) => void): void {
    if (s.ended) return;
    event(s.recording.recorder, Date.now());
    if (s.recording.recorder.buffered >= RECORDING_FLUSH_BYTES) void this.flushRecording(s);
  }

  /** Appends what the recorder holds; a failed append ends the session (an unrecorded shell is not kept). */
  private flushRecording(s: TerminalSession): Promise<boolean> {
    const rec = s.recording;
    const chunk = rec.recorder.take(Date.now());
    if (!chunk) return rec.chain;
    const seq = ++rec.seq;
    rec.chain = rec.chain.then((ok) =>
      !ok
        ? false
        : this.recordings.append(s.id, seq, chunk.data, chunk.search, { truncated: chunk.truncated }).then(
            () => true,
            (err: unknown) => {
              this.logger.error(`terminal ${s.id}: the recording could not be written: ${(err as Error).message}`);
              if (!s.ended) {
                this.refuse(s.socket, 'UNAVAILABLE', 'the terminal could not be recorded; closing it', { id: s.id });
                this.close(s, 'error');
              }
              return false;
            },
          ),
    );
    return rec.chain;
  }

  private closeRequested(socket: TerminalSocket, payload: unknown): void {
    const parsed = parseClose(payload);
    if (!parsed.ok) return this.refuse(socket, 'BAD_INPUT', parsed.reason);
    const s = this.own(socket, parsed.value.id);
    if (!s) return this.refuse(socket, 'NOT_FOUND', 'no such terminal', { id: parsed.value.id });
    this.close(s, 'closed');
  }

  private idleOut(s: TerminalSession): void {
    const minutes = this.config.terminalIdleMs / 60_000;
    const after = minutes >= 1 ? `${Math.round(minutes)} min` : `${Math.round(this.config.terminalIdleMs / 1000)} s`;
    if (!s.held && s.socket.connected)
      s.socket.emit('terminal.output', {
        id: s.id,
        data: `\r\n[jarvis] closing this terminal after ${after} without input\r\n`,
      });
    this.close(s, 'idle');
  }

  /** Asks the remote side to close; the channel's 'close' (or the grace timer) ends the session. */
  private close(s: TerminalSession, reason: TerminalCloseReason): void {
    if (s.ended || s.closeReason) return;
    s.closeReason = reason;
    clearTimeout(s.idle);
    try {
      s.channel.close();
    } catch {
      // Already gone with its connection; the grace timer ends the session.
    }
    setTimeout(() => this.finish(s, reason), CLOSE_GRACE_MS).unref();
  }

  private finish(s: TerminalSession, reason: TerminalCloseReason): void {
    if (s.ended) return;
    s.ended = true;
    clearTimeout(s.idle);
    clearInterval(s.recording.timer);
    s.recording.recorder.end();
    this.sessions.delete(s.id);
    this.release(s.user);
    s.channel.removeAllListeners('data');
    s.channel.stderr.removeAllListeners('data');
    const rest = s.decoder.end();
    const announced = s.held === null;
    if (announced && s.socket.connected) {
      if (rest) s.socket.emit('terminal.output', { id: s.id, data: rest });
      s.socket.emit('terminal.exit', {
        id: s.id,
        ...(s.exitCode !== undefined ? { code: s.exitCode } : {}),
        reason,
      });
    }
    const durationMs = Date.now() - s.openedAt;
    const endedAt = new Date().toISOString();
    const recorded = this.flushRecording(s).then((ok) => (ok ? this.recordings.end(s.id, endedAt, reason) : undefined));
    const done = Promise.all([recorded, s.audited])
      .then(([, opened]) => opened)
      .then((opened) => {
        if (!opened) return;
        return this.audit
          .record({
            workflowId: auditStream(s.id),
            activityId: 'close',
            kind: 'terminal-closed',
            title: `${s.user} closed the terminal on ${s.node} after ${formatDuration(durationMs)} (${reason})`,
            actor: s.user,
            node: s.node,
            detail: {
              openedAt: new Date(s.openedAt).toISOString(),
              durationMs,
              reason,
              ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}),
            },
            at: new Date().toISOString(),
          })
          .then(() => undefined);
      })
      .catch((err: unknown) =>
        this.logger.error(`terminal ${s.id}: the closing could not be audited: ${(err as Error).message}`),
      )
      .finally(() => this.finished.delete(done));
    this.finished.add(done);
  }

  private release(user: string): void {
    const n = (this.perUser.get(user) ?? 1) - 1;
    if (n > 0) this.perUser.set(user, n);
    else this.perUser.delete(user);
  }

  /** Before the SSH pool and the database close: end every shell and write its closing row. */
  async beforeApplicationShutdown(): Promise<void> {
    const open = [...this.sessions.values()];
    for (const s of open) this.close(s, 'shutdown');
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (this.sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of open) this.finish(s, 'shutdown');
    await Promise.allSettled([...this.finished]);
  }
}
