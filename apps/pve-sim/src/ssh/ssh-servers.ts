/**
 * One ssh2 server per simulated node on loopback, for the demo and tests: publickey logins only,
 * against one given key; each node has its own ed25519 host key (kept in hostKeyDir when given, so
 * known_hosts stays valid across restarts). Exec runs node-commands.ts; a PTY shell gets a prompt
 * with basic line editing. A node that is offline (the node-offline fault, or powered off) drops
 * new connections at once and ends the ones it has.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server, utils, type Connection, type ServerChannel } from 'ssh2';
import { type ClusterSim } from '../cluster';
import { isLoopbackV4 } from '../options';
import { generateEd25519 } from './keys';
import { execArgv, runNodeCommand, splitWords, type NodeContext } from './node-commands';

export interface SimSshOptions {
  /** OpenSSH public key line(s) (`ssh-ed25519 AAAA... comment`) allowed to log in. */
  readonly authorizedKeys: string | readonly string[];
  /** Default `root`; other user names are refused. */
  readonly username?: string;
  /** Default 127.0.0.1; only 127.0.0.0/8. */
  readonly host?: string;
  /** Per node; a node not listed (or 0) gets a free port. */
  readonly ports?: Readonly<Record<string, number>>;
  /** Where host keys are kept (`ssh_host_ed25519_key.<node>`); generated fresh when absent. */
  readonly hostKeyDir?: string;
  /** Nodes that behave as if lm-sensors were not installed (`sensors` → exit 127). Default: none. */
  readonly withoutSensors?: readonly string[];
}

export interface SimSshEndpoint {
  readonly node: string;
  readonly host: string;
  readonly port: number;
  /** `ssh-ed25519 AAAA...`: the host key as known_hosts holds it. */
  readonly hostKey: string;
  /** The whole known_hosts line, `[127.0.0.1]:port ssh-ed25519 AAAA...`. */
  readonly hostKeyLine: string;
}

export interface RunningSimSsh {
  readonly endpoints: readonly SimSshEndpoint[];
  close(): Promise<void>;
}

interface AllowedKey {
  readonly type: string;
  readonly blob: Buffer;
  verify(data: Buffer, signature: Buffer, hashAlgo?: string): boolean;
}

function parseAuthorizedKeys(keys: string | readonly string[]): AllowedKey[] {
  const lines = (typeof keys === 'string' ? keys.split('\n') : keys).map((l) => l.trim()).filter(Boolean);
  const out: AllowedKey[] = [];
  for (const line of lines) {
    const key = utils.parseKey(line);
    if (key instanceof Error) throw new Error('pve-sim ssh: an authorized key does not parse');
    out.push({
      type: key.type,
      blob: key.getPublicSSH(),
      verify: (data, signature, hashAlgo) => key.verify(data, signature, hashAlgo) === true,
    });
  }
  if (out.length === 0) throw new Error('pve-sim ssh: at least one authorized key is required');
  return out;
}

function hostKeyFor(node: string, dir: string | undefined): string {
  const file = dir ? join(dir, `ssh_host_ed25519_key.${node}`) : undefined;
  if (file && existsSync(file)) return readFileSync(file, 'utf8');
  const pair = generateEd25519(`root@${node}`);
  if (file && dir) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, pair.private, { mode: 0o600 });
  }
  return pair.private;
}

function publicLine(privateKey: string): string {
  const key = utils.parseKey(privateKey);
  if (key instanceof Error) throw new Error('pve-sim ssh: host key does not parse');
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}

const CTRL_C = '\x03';
const CTRL_D = '\x04';

/** A node-like interactive shell on a PTY channel. */
function runShell(stream: ServerChannel, ctx: () => NodeContext | undefined, node: string): void {
  const prompt = `root@${node}:~# `;
  const write = (text: string) => stream.write(text.replace(/\r?\n/g, '\r\n'));
  const first = ctx();
  if (first)
    write(
      `Linux ${node} ${first.node.kernelRelease} ${first.node.kernelBuild} x86_64\n\n` +
        'The programs included with the Debian GNU/Linux system are free software.\n\n' +
        `Last login: ${new Date(first.sim.now() - 3_600_000).toUTCString()} from 127.0.0.1\n`,
    );
  stream.write(prompt);
  let line = '';
  let escape = '';
  const finish = (code: number) => {
    stream.write('logout\r\n');
    stream.exit(code);
    stream.end();
  };
  stream.on('data', (data: Buffer) => {
    for (const ch of data.toString('utf8')) {
      if (escape) {
        // CSI sequences (arrows, Home/End) end with a letter or ~; they are swallowed.
        escape += ch;
        if (escape.length > 2 && /[A-Za-z~]/.test(ch)) escape = '';
        else if (escape.length === 2 && ch !== '[' && ch !== 'O') escape = '';
        continue;
      }
      if (ch === '\x1b') escape = ch;
      else if (ch === '\r' || ch === '\n') {
        stream.write('\r\n');
        const words = splitWords(line);
        line = '';
        if (words[0] === 'exit' || words[0] === 'logout') return finish(Number(words[1] ?? 0) || 0);
        if (words[0] === 'clear') stream.write('\x1b[H\x1b[2J');
        else if (words.length) {
          const current = ctx();
          if (!current) return finish(255);
          const out = runNodeCommand(current, words);
          write(out.stdout + out.stderr);
        }
        stream.write(prompt);
      } else if (ch === '\x7f' || ch === '\b') {
        if (line.length) {
          line = line.slice(0, -1);
          stream.write('\b \b');
        }
      } else if (ch === CTRL_C) {
        line = '';
        stream.write(`^C\r\n${prompt}`);
      } else if (ch === CTRL_D) {
        if (!line) return finish(0);
      } else if (ch === '\t') {
        // No completion.
      } else if (ch >= ' ') {
        line += ch;
        stream.write(ch);
      }
    }
  });
}

function serveNode(
  sim: ClusterSim,
  node: string,
  hostKey: string,
  allowed: readonly AllowedKey[],
  username: string,
  connections: Set<Connection>,
  noSensors: boolean,
): Server {
  const context = (): NodeContext | undefined => {
    const current = sim.node(node);
    return current && sim.nodeOnline(node) ? { sim, node: current, noSensors } : undefined;
  };
  return new Server({ hostKeys: [hostKey], ident: 'OpenSSH_9.2p1 Debian-2+deb12u7' }, (client) => {
    if (!context()) {
      // Offline: the TCP connection opens (the simulator listens on loopback) but the node never answers.
      client.end();
      return;
    }
    connections.add(client);
    client.on('close', () => connections.delete(client));
    client.on('error', () => connections.delete(client));
    client.on('authentication', (auth) => {
      if (auth.method !== 'publickey' || auth.username !== username) return auth.reject(['publickey']);
      const key = allowed.find((k) => k.type === auth.key.algo && k.blob.equals(auth.key.data));
      if (!key) return auth.reject(['publickey']);
      if (auth.signature && auth.blob) {
        if (!key.verify(auth.blob, auth.signature, auth.hashAlgo)) return auth.reject(['publickey']);
      }
      return auth.accept();
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        let pty = false;
        session.on('pty', (accept) => {
          pty = true;
          accept?.();
        });
        session.on('window-change', (accept) => accept?.());
        session.on('env', (accept) => accept?.());
        session.on('signal', (accept) => accept?.());
        session.on('shell', (accept) => {
          const stream = accept();
          if (!pty) stream.stderr.write('Pseudo-terminal will not be allocated because stdin is not a terminal.\n');
          runShell(stream, context, node);
        });
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          const current = context();
          if (!current) {
            stream.exit(255);
            stream.end();
            return;
          }
          const out = runNodeCommand(current, execArgv(info.command));
          if (out.stdout) stream.write(out.stdout);
          if (out.stderr) stream.stderr.write(out.stderr);
          stream.exit(out.code);
          stream.end();
        });
      });
    });
  });
}

export async function startSshForCluster(sim: ClusterSim, opts: SimSshOptions): Promise<RunningSimSsh> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackV4(host)) throw new Error(`pve-sim ssh: host must be a 127.0.0.0/8 address, got '${host}'`);
  const allowed = parseAuthorizedKeys(opts.authorizedKeys);
  const username = opts.username ?? 'root';
  const servers: Server[] = [];
  const connections = new Map<string, Set<Connection>>();
  const endpoints: SimSshEndpoint[] = [];
  try {
    for (const { name } of sim.model.nodes) {
      const hostKey = hostKeyFor(name, opts.hostKeyDir);
      const open = new Set<Connection>();
      connections.set(name, open);
      const server = serveNode(
        sim,
        name,
        hostKey,
        allowed,
        username,
        open,
        opts.withoutSensors?.includes(name) ?? false,
      );
      servers.push(server);
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.ports?.[name] ?? 0, host, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : 0);
        });
      });
      const key = publicLine(hostKey);
      endpoints.push({ node: name, host, port, hostKey: key, hostKeyLine: `[${host}]:${port} ${key}` });
    }
  } catch (err) {
    for (const server of servers) server.close();
    throw err;
  }
  // A node that goes offline drops its sessions, as a partitioned node's TCP connections die.
  const watcher = setInterval(() => {
    for (const [node, open] of connections) if (!sim.nodeOnline(node)) for (const client of open) client.end();
  }, 500);
  watcher.unref();
  let closed: Promise<void> | undefined;
  return {
    endpoints,
    close: () => {
      closed ??= (async () => {
        clearInterval(watcher);
        for (const open of connections.values()) for (const client of open) client.end();
        await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      })();
      return closed;
    },
  };
}
