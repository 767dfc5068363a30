import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { type Socket } from 'socket.io-client';
import { startSshHosts } from '../support/sshd';
import { OPERATOR, SECOND, startStack, type TestStack } from '../support/stack';
import { eventually } from '../support/vm-action.fixtures';
import { handshake, startApi, type ApiHarness } from './api-harness';
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
  idle = await startApi({ stack, env: { ...env, TERMINAL_IDLE_MS: '1200', TEMPERATURE_POLL_MS: '60000' } });
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

/** A connected /terminal socket with its output gathered per session. */
async function terminalSocket(harness: ApiHarness, tok: string): Promise<Term> {
  const socket = harness.socket('/terminal', tok);
  sockets.push(socket);
  const ready = new Promise<{ available: boolean; nodes: string[] }>((resolve) =>
    socket.once('terminal.ready', resolve),
  );
  const outcome = await handshake(socket);
  if (!outcome.connected) throw new Error(`no terminal socket: ${outcome.error}`);
  return new Term(socket, await ready);
}

let refs = 0;

class Term {
  readonly output = new Map<string, string>();
  readonly exits: Array<{ id: string; code?: number; reason?: string }> = [];
  readonly errors: TermError[] = [];

  constructor(
    readonly socket: Socket,
    readonly ready: { available: boolean; nodes: string[] },
  ) {
    socket.on('terminal.output', (e: { id: string; data: string }) =>
      this.output.set(e.id, (this.output.get(e.id) ?? '') + e.data),
    );
    socket.on('terminal.exit', (e: { id: string; code?: number; reason?: string }) => this.exits.push(e));
    socket.on('terminal.error', (e: TermError) => this.errors.push(e));
  }

  /** Opens a shell; resolves with the session or the refusal. */
  open(node: string, cols = 80, rows = 24): Promise<{ opened: Opened } | { error: TermError }> {
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
      this.socket.emit('terminal.open', { node, cols, rows, ref });
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
    const term = await terminalSocket(idle, token);
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
    expect(await term.open('pve')).toEqual({ error: expect.objectContaining({ code: 'UNAVAILABLE' }) });
    term.socket.close();
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
