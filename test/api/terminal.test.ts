import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { startSshHosts } from '../support/sshd';
import { OPERATOR, SECOND, startStack, type TestStack } from '../support/stack';
import { eventually } from '../support/vm-action.fixtures';
import { expectEnvelope, handshake, startApi, type ApiHarness, type ApiResponse } from './api-harness';
import { sshEnv, SENSORLESS_NODE, SSH_NODES } from './ssh-env';

/**
 * The /terminal namespace and the node temperatures against real sshd test hosts (one per
 * simulated node, Debian's openssh-server on loopback) and the real API: handshake auth, a real
 * PTY shell, resize, the per-operator limit, the idle timeout, closing on disconnect (checked on
 * the host with pgrep), the audit rows, and payload validation.
 */
jest.setTimeout(90_000);

const run = promisify(execFile);

let stack: TestStack;
let hosts: Awaited<ReturnType<typeof startSshHosts>>;
let api: ApiHarness;
let idle: ApiHarness;
let noSsh: ApiHarness;
let token: string;
let secondToken: string;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  hosts = await startSshHosts([...SSH_NODES], { withoutSensors: [SENSORLESS_NODE] });
  const env = sshEnv(hosts);
  api = await startApi({ stack, env: { ...env, TEMPERATURE_POLL_MS: '500', TERMINAL_MAX_PER_USER: '3' } });
  // Also: every terminal there needs the password (no login is fresh enough), and Jarvis's own
  // node needs no typed name.
  idle = await startApi({
    stack,
    env: {
      ...env,
      TERMINAL_IDLE_MS: '1200',
      TEMPERATURE_POLL_MS: '60000',
      TERMINAL_STEP_UP_MS: '0',
      TERMINAL_OWN_NODE_CONFIRM: 'off',
    },
  });
  noSsh = await startApi({ stack });
  token = await api.login(OPERATOR.username, OPERATOR.password);
  secondToken = await api.login(SECOND.username, SECOND.password);
}, 120_000);

afterAll(async () => {
  await noSsh?.close();
  await idle?.close();
  await api?.close();
  await hosts?.close();
  await stack?.close();
});

interface Opened {
  id: string;
  node: string;
  ref?: string;
}
interface TermError {
  code: string;
  message: string;
  id?: string;
  ref?: string;
}

const sockets: Socket[] = [];
// Sessions end with their socket: a failed test must not hold slots of the per-operator limit.
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await new Promise((r) => setTimeout(r, 200));
});

interface Ticket {
  ticket: string;
  expiresAt: string;
  node: string;
}

/** POST /api/terminal/tickets: the step-up before a terminal opens. */
function askTicket(
  harness: ApiHarness,
  tok: string,
  body: { node: string; password?: string; confirmNode?: string },
): Promise<ApiResponse<Ticket>> {
  return harness.call<Ticket>('POST', '/api/terminal/tickets', { token: tok, body });
}

/** A connected /terminal socket with its output gathered per session. */
async function terminalSocket(harness: ApiHarness, tok: string, password?: string): Promise<Term> {
  const socket = harness.socket('/terminal', tok);
  sockets.push(socket);
  const ready = new Promise<{ available: boolean; nodes: string[] }>((resolve) =>
    socket.once('terminal.ready', resolve),
  );
  const outcome = await handshake(socket);
  if (!outcome.connected) throw new Error(`no terminal socket: ${outcome.error}`);
  return new Term(socket, await ready, harness, tok, password);
}

let refs = 0;

class Term {
  readonly output = new Map<string, string>();
  readonly exits: Array<{ id: string; code?: number; reason?: string }> = [];
  readonly errors: TermError[] = [];

  constructor(
    readonly socket: Socket,
    readonly ready: { available: boolean; nodes: string[]; confirmNodes?: string[] },
    private readonly harness?: ApiHarness,
    private readonly token?: string,
    /** Sent with every ticket request (for an API where no login is fresh enough). */
    private readonly password?: string,
  ) {
    socket.on('terminal.output', (e: { id: string; data: string }) =>
      this.output.set(e.id, (this.output.get(e.id) ?? '') + e.data),
    );
    socket.on('terminal.exit', (e: { id: string; code?: number; reason?: string }) => this.exits.push(e));
    socket.on('terminal.error', (e: TermError) => this.errors.push(e));
  }

  /** A ticket for `node`, asked as the dashboard does (the password only where this socket has one). */
  async ticket(node: string): Promise<string> {
    const res = await askTicket(this.harness!, this.token!, {
      node,
      ...(this.password !== undefined ? { password: this.password } : {}),
      ...(this.ready.confirmNodes?.includes(node) ? { confirmNode: node } : {}),
    });
    if (res.status !== 200) throw new Error(`no terminal ticket for ${node}: ${res.status} ${res.text}`);
    return res.json.ticket;
  }

  /**
   * Opens a shell; resolves with the session or the refusal. Without `ticket`, one is asked for
   * first; `ticket: null` opens without one.
   */
  async open(
    node: string,
    cols = 80,
    rows = 24,
    opts: { ticket?: string | null } = {},
  ): Promise<{ opened: Opened } | { error: TermError }> {
    const ticket = opts.ticket === undefined && this.harness ? await this.ticket(node) : opts.ticket;
    const ref = `t${++refs}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to terminal.open on ${node}`)), 20_000);
      const onOpened = (e: Opened): void => {
        if (e.ref !== ref) return;
        done();
        resolve({ opened: e });
      };
      const onError = (e: TermError): void => {
        if (e.ref !== ref) return;
        done();
        resolve({ error: e });
      };
      const done = (): void => {
        clearTimeout(timer);
        this.socket.off('terminal.opened', onOpened);
        this.socket.off('terminal.error', onError);
      };
      this.socket.on('terminal.opened', onOpened);
      this.socket.on('terminal.error', onError);
      this.socket.emit('terminal.open', { node, cols, rows, ref, ...(ticket ? { ticket } : {}) });
    });
  }

  async shell(node: string, cols = 80, rows = 24): Promise<string> {
    const r = await this.open(node, cols, rows);
    if (!('opened' in r)) throw new Error(`open refused: ${r.error.code} ${r.error.message}`);
    // Wait for the prompt: a login shell killed while its dotfiles run can leave their locks behind
    // on this machine (root's pyenv rehash lock did), stalling every later login.
    await this.expectOutput(r.opened.id, /[#$] $/, 0, 60_000);
    return r.opened.id;
  }

  send(id: string, data: string): void {
    this.socket.emit('terminal.input', { id, data });
  }

  /** Waits for `pattern` in the session's output after `from` characters; returns the match. */
  async expectOutput(id: string, pattern: RegExp, from = 0, timeoutMs = 10_000): Promise<RegExpExecArray> {
    return eventually(
      () => Promise.resolve(pattern.exec((this.output.get(id) ?? '').slice(from)) ?? undefined),
      timeoutMs,
    ).catch(() => {
      throw new Error(`no ${pattern} in the output of ${id}:\n${(this.output.get(id) ?? '').slice(-600)}`);
    });
  }

  /** The next error after `count` errors were seen. */
  nextError(count = this.errors.length): Promise<TermError> {
    return eventually(() => Promise.resolve(this.errors[count]), 5000);
  }

  exitOf(id: string): Promise<{ id: string; code?: number; reason?: string }> {
    return eventually(() => Promise.resolve(this.exits.find((e) => e.id === id)), 10_000);
  }
}

async function pgrep(pattern: string): Promise<number[]> {
  try {
    const { stdout } = await run('pgrep', ['-f', pattern]);
    return stdout.split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function auditRows(id: string): Promise<Array<Record<string, unknown>>> {
  const { rows } = await stack.pool.query<Record<string, unknown>>(
    `SELECT activity_id, kind, actor, node, detail, at FROM audit_events WHERE workflow_id = $1 ORDER BY at, id`,
    [`terminal:${id}`],
  );
  return rows;
}

describe('the /terminal namespace', () => {
  it('refuses a connection without a valid token at the handshake', async () => {
    for (const tok of [undefined, 'not-a-jwt', `${token}x`]) {
      const outcome = await handshake(api.socket('/terminal', tok));
      expect(outcome).toEqual({ connected: false, error: expect.stringMatching(/unauthori[sz]ed/i) });
    }
    const term = await terminalSocket(api, token);
    expect(term.ready).toMatchObject({ available: true, nodes: expect.arrayContaining([...SSH_NODES]) });
    term.socket.close();
  });

  it('opens a real shell on a node: hostname answers with the node, output streams back, input goes in', async () => {
    const term = await terminalSocket(api, token);
    for (const node of ['pve', 'home']) {
      const id = await term.shell(node);
      // Each test host answers `hostname` with its node's name (and its sshd sets JARVIS_TEST_NODE too).
      term.send(id, 'hostname; echo "node=$JARVIS_TEST_NODE"\n');
      await term.expectOutput(id, new RegExp(`\\b${node}\\r?\\nnode=${node}\\r?\\n`));
      // Binary-safe: a multi-byte UTF-8 string comes back whole.
      term.send(id, "printf '\\xe2\\x9c\\x93 done\\n'\n");
      await term.expectOutput(id, /✓ done/);
      term.socket.emit('terminal.close', { id });
      expect(await term.exitOf(id)).toMatchObject({ id, reason: 'closed' });
    }
    term.socket.close();
  });

  it('resizes the PTY', async () => {
    const term = await terminalSocket(api, token);
    const id = await term.shell('pve', 80, 24);
    term.send(id, 'stty size\n');
    await term.expectOutput(id, /\b24 80\b/);
    const mark = term.output.get(id)!.length;
    const errors = term.errors.length;
    term.socket.emit('terminal.resize', { id, cols: 132, rows: 43 });
    term.send(id, 'stty size\n');
    await term.expectOutput(id, /\b43 132\b/, mark);
    expect(term.errors.slice(errors)).toEqual([]);
    term.socket.close();
  });

  it('limits the terminals one operator holds, across sockets, and frees a slot when one closes', async () => {
    const a = await terminalSocket(api, token);
    const b = await terminalSocket(api, token);
    const ids = [await a.shell('pve'), await a.shell('home'), await b.shell('agent')];
    const fourth = await b.open('pve');
    expect(fourth).toEqual({ error: expect.objectContaining({ code: 'LIMIT' }) });
    // Another operator has their own allowance.
    const other = await terminalSocket(api, secondToken);
    expect(await other.open('pve')).toEqual({ opened: expect.objectContaining({ node: 'pve' }) });
    a.socket.emit('terminal.close', { id: ids[0] });
    await a.exitOf(ids[0]!);
    expect(await b.open('pve')).toEqual({ opened: expect.objectContaining({ node: 'pve' }) });
    // A session belongs to its socket: another socket of the same operator cannot drive or close it.
    const seen = b.errors.length;
    b.socket.emit('terminal.close', { id: ids[1] });
    expect(await b.nextError(seen)).toMatchObject({ code: 'NOT_FOUND', id: ids[1] });
    for (const t of [a, b, other]) t.socket.close();
  });

  it('closes a terminal after the idle timeout, with a notice, and audits why', async () => {
    const term = await terminalSocket(idle, token, OPERATOR.password);
    const id = await term.shell('pve');
    // Input keeps it open past one timeout…
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 500));
      term.send(id, ' ');
    }
    expect(term.exits).toEqual([]);
    // …silence ends it.
    expect(await term.exitOf(id)).toMatchObject({ id, reason: 'idle' });
    expect(term.output.get(id)).toMatch(/closing this terminal after \d+ s without input/);
    const rows = await eventually(async () => ((await auditRows(id)).length === 2 ? auditRows(id) : undefined));
    expect(rows[1]).toMatchObject({ kind: 'terminal-closed', detail: expect.objectContaining({ reason: 'idle' }) });
    term.socket.close();
  });

  it('kills the shell on the node when the tab goes away, and audits who, where, when and how long', async () => {
    const term = await terminalSocket(api, token);
    const id = await term.shell('agent');
    const marker = `${randomInt(100_000, 999_999)}.5`;
    term.send(id, `sleep ${marker}\n`);
    await eventually(async () => ((await pgrep(`sleep ${marker}`)).length > 0 ? true : undefined));
    const opened = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    term.socket.disconnect();
    // The PTY closes, sshd hangs up the session, and the shell's job dies with it.
    await eventually(async () => ((await pgrep(`sleep ${marker}`)).length === 0 ? true : undefined), 10_000);

    const rows = await eventually(async () => ((await auditRows(id)).length === 2 ? auditRows(id) : undefined));
    expect(rows.map((r) => r['kind'])).toEqual(['terminal-opened', 'terminal-closed']);
    for (const r of rows) expect(r).toMatchObject({ actor: OPERATOR.username, node: 'agent' });
    const detail = rows[1]!['detail'] as { durationMs: number; reason: string; openedAt: string };
    expect(detail.reason).toBe('disconnect');
    expect(detail.durationMs).toBeGreaterThanOrEqual(250);
    expect(detail.durationMs).toBeLessThan(Date.now() - opened + 5000);
    expect(Date.parse(detail.openedAt)).toBe((rows[0]!['at'] as Date).getTime());
    // The feed shows both, under the "terminal" source.
    const feed = await api.call<{ items: Array<{ workflowId: string; kind: string }> }>(
      'GET',
      '/api/feed?source=terminal&limit=50',
      { token },
    );
    expect(feed.json.items.filter((i) => i.workflowId === `terminal:${id}`).map((i) => i.kind)).toEqual([
      'terminal-closed',
      'terminal-opened',
    ]);
  });

  it('answers every malformed payload with BAD_INPUT and stays up', async () => {
    const term = await terminalSocket(api, token);
    const id = await term.shell('pve');
    const bad: Array<[string, unknown]> = [
      ['terminal.open', null],
      ['terminal.open', 'pve'],
      ['terminal.open', { node: 'nowhere', cols: 80, rows: 24 }],
      ['terminal.open', { node: 'pve;reboot', cols: 80, rows: 24 }],
      ['terminal.open', { node: 'pve', cols: 0, rows: 24 }],
      ['terminal.open', { node: 'pve', cols: 80, rows: 1e9 }],
      ['terminal.open', { node: 'pve', cols: '80', rows: 24 }],
      ['terminal.input', { id, data: 42 }],
      ['terminal.input', { id: 'x', data: 'ls\n' }],
      ['terminal.input', { id, data: 'x'.repeat(70_000) }],
      ['terminal.input', []],
      ['terminal.resize', { id, cols: 80.5, rows: 24 }],
      ['terminal.resize', { id, cols: -3, rows: 24 }],
      ['terminal.resize', { id }],
      ['terminal.close', {}],
      ['terminal.close', 7],
    ];
    for (const [event, payload] of bad) {
      const seen = term.errors.length;
      term.socket.emit(event, payload);
      const error = await term.nextError(seen);
      expect({ event, payload, code: error.code }).toEqual({ event, payload, code: 'BAD_INPUT' });
    }
    // Well-formed but unknown is not bad input: it is a session that does not exist here.
    const seen = term.errors.length;
    term.socket.emit('terminal.input', { id: '01JD0000000000000000000000', data: 'ls\n' });
    expect(await term.nextError(seen)).toMatchObject({ code: 'NOT_FOUND' });
    // The session and the socket are unharmed.
    term.send(id, 'echo still-$((40+2))\n');
    await term.expectOutput(id, /still-42/);
    expect(term.socket.connected).toBe(true);
    term.socket.close();
  });

  it('says UNAVAILABLE when SSH is not configured', async () => {
    const term = await terminalSocket(noSsh, token);
    expect(term.ready).toMatchObject({ available: false, nodes: [] });
    expect(await term.open('pve', 80, 24, { ticket: null })).toEqual({
      error: expect.objectContaining({ code: 'UNAVAILABLE' }),
    });
    term.socket.close();
  });
});

/** A /terminal socket that authenticates with a terminal ticket instead of a token (a popped-out window). */
function ticketSocket(harness: ApiHarness, ticket: string): Socket {
  const socket = io(`${harness.origin}/terminal`, {
    auth: { ticket },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  return socket;
}

async function refusals(node: string, since: Date): Promise<Array<Record<string, unknown>>> {
  const { rows } = await stack.pool.query<Record<string, unknown>>(
    `SELECT actor, node, detail FROM audit_events WHERE kind = 'terminal-refused' AND node = $1 AND at >= $2 ORDER BY at, id`,
    [node, since],
  );
  return rows;
}

describe('terminal step-up (issue 11 item 4)', () => {
  it('refuses an open without a ticket, says why, and audits the refusal', async () => {
    const since = new Date(Date.now() - 1000);
    const term = await terminalSocket(api, token);
    const refused = await term.open('home', 80, 24, { ticket: null });
    expect(refused).toEqual({ error: expect.objectContaining({ code: 'STEP_UP_REQUIRED' }) });
    expect((refused as { error: TermError }).error.message).toMatch(/password/);
    const rows = await eventually(async () => {
      const r = await refusals('home', since);
      return r.length > 0 ? r : undefined;
    });
    expect(rows[0]).toMatchObject({ actor: OPERATOR.username, detail: { code: 'STEP_UP_REQUIRED' } });
    // Nothing was opened on the node for it.
    expect(term.output.size).toBe(0);
  });

  it('opens with a ticket from a fresh login, once: a used, other-node or other-operator ticket is refused', async () => {
    const res = await askTicket(api, token, { node: 'pve' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      ticket: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/),
      expiresAt: expect.any(String),
      node: 'pve',
    });
    const ttl = Date.parse(res.json.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(30_000);
    expect(ttl).toBeLessThanOrEqual(61_000);
    const term = await terminalSocket(api, token);
    expect(await term.open('pve', 80, 24, { ticket: res.json.ticket })).toEqual({
      opened: expect.objectContaining({ node: 'pve' }),
    });
    // Single use.
    expect(await term.open('pve', 80, 24, { ticket: res.json.ticket })).toEqual({
      error: expect.objectContaining({ code: 'TICKET_REFUSED', message: expect.stringMatching(/used/) }),
    });
    // Bound to its node…
    const forPve = (await askTicket(api, token, { node: 'pve' })).json.ticket;
    expect(await term.open('home', 80, 24, { ticket: forPve })).toEqual({
      error: expect.objectContaining({ code: 'TICKET_REFUSED' }),
    });
    // …and to its operator.
    const mine = (await askTicket(api, token, { node: 'home' })).json.ticket;
    const other = await terminalSocket(api, secondToken);
    expect(await other.open('home', 80, 24, { ticket: mine })).toEqual({
      error: expect.objectContaining({ code: 'TICKET_REFUSED', message: expect.stringMatching(/another operator/) }),
    });
    // A made-up ticket is no better than none; neither is a token in its place.
    expect(await term.open('home', 80, 24, { ticket: 'A'.repeat(43) })).toEqual({
      error: expect.objectContaining({ code: 'TICKET_REFUSED' }),
    });
    // The ticket route needs a bearer token like every other.
    expect((await api.call('POST', '/api/terminal/tickets', { body: { node: 'pve' } })).status).toBe(401);
    expectEnvelope(await askTicket(api, token, { node: 'nowhere' }), 400);
  });

  it('ends with the login session: a logout drops the terminal socket and a popped-out window opened with its ticket', async () => {
    const tok = await api.login(OPERATOR.username, OPERATOR.password);
    const term = await terminalSocket(api, tok);
    const ticket = (await askTicket(api, tok, { node: 'home' })).json.ticket;
    const popped = ticketSocket(api, ticket);
    expect(await handshake(popped)).toEqual({ connected: true });
    const dropped = (s: Socket) => new Promise<string>((resolve) => s.once('disconnect', (reason) => resolve(reason)));
    const [termGone, poppedGone] = [dropped(term.socket), dropped(popped)];
    expect((await api.call('POST', '/api/auth/logout', { token: tok })).status).toBe(204);
    await expect(termGone).resolves.toBe('io server disconnect');
    await expect(poppedGone).resolves.toBe('io server disconnect');
  });

  it('asks for the password when the login is not fresh; a wrong one is refused and counts as a failed login', async () => {
    // On `idle`, TERMINAL_STEP_UP_MS=0: no login is fresh enough.
    const tok = await idle.login(SECOND.username, SECOND.password);
    expectEnvelope(await askTicket(idle, tok, { node: 'pve' }), 403, 'STEP_UP_REQUIRED');
    const ok = await askTicket(idle, tok, { node: 'pve', password: SECOND.password });
    expect(ok.status).toBe(200);
    // A popped-out window's socket authenticates with the ticket alone (no JWT), and opens once with it.
    const popped = ticketSocket(idle, ok.json.ticket);
    const poppedReady = new Promise<{ ticketNode?: string }>((resolve) => popped.once('terminal.ready', resolve));
    expect(await handshake(popped)).toEqual({ connected: true });
    expect(await poppedReady).toMatchObject({ ticketNode: 'pve' });
    const pop = new Term(popped, { available: true, nodes: [...SSH_NODES] });
    expect(await pop.open('pve', 80, 24, { ticket: ok.json.ticket })).toEqual({
      opened: expect.objectContaining({ node: 'pve' }),
    });
    // A used ticket no longer opens a socket.
    expect(await handshake(ticketSocket(idle, ok.json.ticket))).toEqual({
      connected: false,
      error: expect.stringMatching(/unauthori[sz]ed/),
    });

    for (let i = 0; i < 5; i++)
      expectEnvelope(await askTicket(idle, tok, { node: 'pve', password: `wrong-${i}` }), 403, 'STEP_UP_FAILED');
    // Five wrong passwords lock this operator's logins on this address, as five failed logins would.
    const locked = await askTicket(idle, tok, { node: 'pve', password: SECOND.password });
    expectEnvelope(locked, 429, 'RATE_LIMITED');
    const login = await idle.call('POST', '/api/auth/login', {
      body: { username: SECOND.username, password: SECOND.password },
    });
    expect(login.status).toBe(429);
  });

  it("needs Jarvis's own node named before a terminal opens there, unless switched off", async () => {
    const term = await terminalSocket(api, token);
    expect(term.ready.confirmNodes).toEqual(['agent1']);
    expectEnvelope(await askTicket(api, token, { node: 'agent1' }), 403, 'NODE_CONFIRMATION_REQUIRED');
    expectEnvelope(
      await askTicket(api, token, { node: 'agent1', confirmNode: 'agent' }),
      403,
      'NODE_CONFIRMATION_REQUIRED',
    );
    // The two-person setting does not matter (two operators exist here); the typed name does.
    const typed = await askTicket(api, token, { node: 'agent1', confirmNode: 'agent1' });
    expect(typed.status).toBe(200);
    expect(await term.open('agent1', 80, 24, { ticket: typed.json.ticket })).toEqual({
      opened: expect.objectContaining({ node: 'agent1' }),
    });
    // Other nodes need no name.
    expect((await askTicket(api, token, { node: 'pve' })).status).toBe(200);
    // TERMINAL_OWN_NODE_CONFIRM=off (on `idle`): the password alone.
    const off = await askTicket(idle, token, { node: 'agent1', password: OPERATOR.password });
    expect(off.status).toBe(200);
  });
});

describe('terminal recordings (asciicast v2)', () => {
  it('records output, resizes and echoed input, never a no-echo secret, and the command search finds the session', async () => {
    const term = await terminalSocket(api, token);
    const id = await term.shell('home', 90, 30);
    term.send(id, 'hostname\n');
    await term.expectOutput(id, /hostname\r?\n[^\n]{0,20}\bhome\r?\n/);
    // `read -s` turns echo off: what is typed next must not reach the recording, even though it is input.
    const secret = `S3cret-${randomInt(100_000, 999_999)}`;
    let mark = term.output.get(id)!.length;
    term.send(id, 'read -s X; echo "len=${#X}"\n');
    await term.expectOutput(id, /echo "len=\$\{#X\}"\r?\n/, mark);
    await new Promise((r) => setTimeout(r, 300));
    mark = term.output.get(id)!.length;
    term.send(id, `${secret}\n`);
    await term.expectOutput(id, new RegExp(`len=${secret.length}\\b`), mark);
    term.send(id, 'echo after-$((6*7))\n');
    await term.expectOutput(id, /after-42/);
    term.socket.emit('terminal.resize', { id, cols: 100, rows: 31 });
    await new Promise((r) => setTimeout(r, 200));
    term.socket.emit('terminal.close', { id });
    await term.exitOf(id);

    const rec = await eventually(async () => {
      const res = await api.call<{ items: Array<{ id: string; endedAt: string | null }> }>(
        'GET',
        `/api/terminal/recordings?node=home&operator=${OPERATOR.username}`,
        { token },
      );
      return res.json.items.find((i) => i.id === id && i.endedAt !== null);
    });
    expect(rec).toMatchObject({ id, node: 'home', operator: OPERATOR.username, cols: 90, rows: 30, truncated: false });
    const res = await api.call('GET', `/api/terminal/recordings/${id}`, { token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-asciicast/);
    const [first, ...rest] = res.text.trimEnd().split('\n');
    const header = JSON.parse(first!) as Record<string, unknown>;
    expect(header).toMatchObject({
      version: 2,
      width: 90,
      height: 30,
      env: expect.objectContaining({ TERM: expect.any(String) }),
    });
    expect(Math.abs((header['timestamp'] as number) - Date.now() / 1000)).toBeLessThan(120);
    const events = rest.map((l) => JSON.parse(l) as [number, string, string]);
    let last = 0;
    for (const [t, code, data] of events) {
      expect(typeof t).toBe('number');
      expect(t).toBeGreaterThanOrEqual(last);
      expect(['o', 'i', 'r']).toContain(code);
      expect(typeof data).toBe('string');
      last = t;
    }
    // Replaying the output shows the command and its answer; the typed command is there as input.
    const output = events
      .filter(([, c]) => c === 'o')
      .map(([, , d]) => d)
      .join('');
    const input = events
      .filter(([, c]) => c === 'i')
      .map(([, , d]) => d)
      .join('');
    expect(output).toMatch(/hostname\r?\n[^\n]{0,20}\bhome\r?\n/);
    expect(input).toContain('hostname');
    expect(input).toContain('read -s X');
    expect(events).toContainEqual([expect.any(Number), 'r', '100x31']);
    // The secret: not as input, not anywhere in the cast, not in the searchable text.
    expect(res.text).not.toContain(secret);
    const { rows } = await stack.pool.query(
      `SELECT 1 FROM terminal_recording_chunks WHERE session_id = $1 AND (data LIKE $2 OR search_text LIKE $2)`,
      [id, `%${secret}%`],
    );
    expect(rows).toEqual([]);

    // Command search: which sessions ran `hostname`.
    const found = await api.call<{ items: Array<{ id: string }> }>('GET', '/api/terminal/recordings?q=hostname', {
      token,
    });
    expect(found.json.items.map((i) => i.id)).toContain(id);
    const none = await api.call<{ items: Array<{ id: string }> }>(
      'GET',
      `/api/terminal/recordings?q=${encodeURIComponent(secret)}`,
      { token },
    );
    expect(none.json.items.map((i) => i.id)).not.toContain(id);
    // Every recording route needs a token; a malformed or unknown id is a 4xx with the envelope.
    expect((await api.call('GET', '/api/terminal/recordings')).status).toBe(401);
    expect((await api.call('GET', `/api/terminal/recordings/${id}`)).status).toBe(401);
    expectEnvelope(await api.call('GET', '/api/terminal/recordings/..%2Fetc', { token }), 400);
    expectEnvelope(await api.call('GET', '/api/terminal/recordings?q=%00', { token }), 400);
    expectEnvelope(await api.call('GET', '/api/terminal/recordings?limit=0', { token }), 400);
    expectEnvelope(await api.call('GET', '/api/terminal/recordings/01JD0000000000000000000000', { token }), 404);
  });
});

describe('node temperatures', () => {
  it('serves each node’s sensors -j reading in GET /api/cluster, and null for the node without sensors', async () => {
    type Node = { name: string; status: string; temperature: { packageC: number; maxCoreC: number } | null };
    const nodes = await eventually(async () => {
      const res = await api.call<{ nodes: Node[] }>('GET', '/api/cluster', { token });
      const withSensors = res.json.nodes.filter((n) => n.status === 'online' && n.name !== SENSORLESS_NODE);
      return withSensors.length > 0 && withSensors.every((n) => n.temperature !== null) ? res.json.nodes : undefined;
    }, 20_000);
    for (const n of nodes.filter((x) => x.status === 'online' && x.name !== SENSORLESS_NODE)) {
      expect(n.temperature).toEqual({ packageC: expect.any(Number), maxCoreC: expect.any(Number) });
      expect(n.temperature!.packageC).toBeGreaterThan(20);
      expect(n.temperature!.packageC).toBeLessThan(110);
      expect(n.temperature!.maxCoreC).toBeGreaterThan(20);
    }
    expect(nodes.find((n) => n.name === SENSORLESS_NODE)?.temperature).toBeNull();
    // Offline nodes show none, as CONTRACT says.
    for (const n of nodes.filter((x) => x.status !== 'online')) expect(n.temperature).toBeNull();
  });

  it('pushes temperatures on the /live socket, so node cards update without a reload', async () => {
    const live = api.socket('/live', token);
    const state = await new Promise<{ nodes: Array<{ name: string; temperature: unknown }> }>((resolve) =>
      live.once('cluster', resolve),
    );
    expect(state.nodes.find((n) => n.name === 'pve')?.temperature).toEqual({
      packageC: expect.any(Number),
      maxCoreC: expect.any(Number),
    });
    live.close();
  });
});
