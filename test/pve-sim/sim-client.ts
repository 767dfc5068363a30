import { request as httpsRequest } from 'node:https';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../apps/pve-sim/src/index';

export type Row = Record<string, unknown>;

export interface WireResponse {
  status: number;
  /** The HTTP reason phrase: PVE puts the error's first line there. */
  reason: string;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** The PVE envelope of a response; fails the test when the body is not one. */
export function envelope(res: WireResponse): {
  data: unknown;
  total?: number;
  message?: string;
  errors?: Record<string, string>;
} {
  expect(res.json).toHaveProperty('data');
  return res.json as { data: unknown; total?: number; message?: string; errors?: Record<string, string> };
}

/** `data` of an enveloped list, e.g. /cluster/resources. */
export function rows(res: WireResponse): Row[] {
  const { data } = res.json as { data: unknown };
  expect(Array.isArray(data)).toBe(true);
  return data as Row[];
}

/** `data` of an enveloped object, e.g. status/current. */
export function row(res: WireResponse): Row {
  const { data } = res.json as { data: unknown };
  expect(typeof data === 'object' && data !== null && !Array.isArray(data)).toBe(true);
  return data as Row;
}

/** The parameter errors of a 400. */
export function paramErrors(res: WireResponse): Record<string, string> {
  return (res.json as { errors: Record<string, string> }).errors;
}

/** Plain JSON from the control API. */
export function plain<T = Row>(res: WireResponse): T {
  return res.json as T;
}

export interface CallOptions {
  body?: Record<string, string> | string;
  contentType?: string;
  token?: string | null;
  authHeader?: string;
  headers?: Record<string, string>;
}

/** Raw HTTPS against the simulator, trusting only its certificate, so status lines and headers are visible. */
export function call(
  sim: RunningSimulator,
  method: string,
  url: string,
  opts: CallOptions = {},
): Promise<WireResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.authHeader !== undefined) headers['Authorization'] = opts.authHeader;
  else if (opts.token !== null) headers['Authorization'] = `PVEAPIToken=${opts.token ?? sim.token}`;
  let payload: string | undefined;
  if (opts.body !== undefined) {
    if (typeof opts.body === 'string') {
      payload = opts.body;
      headers['Content-Type'] = opts.contentType ?? 'application/json';
    } else {
      payload = new URLSearchParams(opts.body).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca: sim.certPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '', headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export class SimHarness {
  constructor(readonly sim: RunningSimulator) {}

  static async start(opts: SimulatorOptions = {}): Promise<SimHarness> {
    return new SimHarness(await startSimulator({ port: 0, taskMs: 40, refreshMs: 200, authFailDelayMs: 20, ...opts }));
  }

  api(method: string, path: string, opts?: CallOptions): Promise<WireResponse> {
    return call(this.sim, method, `${this.sim.url}${path}`, opts);
  }

  control(method: string, path: string, body?: unknown): Promise<WireResponse> {
    return call(this.sim, method, `${this.sim.controlUrl}${path}`, {
      token: null,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async taskStatus(node: string, upid: string): Promise<Row> {
    const res = await this.api('GET', `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`);
    expect(res.status).toBe(200);
    return row(res);
  }

  /** POSTs an action and returns the UPID it was answered with. */
  async upid(path: string, opts?: CallOptions): Promise<string> {
    const res = await this.api('POST', path, opts);
    expect(res.status).toBe(200);
    const { data } = res.json as { data: unknown };
    expect(typeof data).toBe('string');
    return data as string;
  }

  /** Polls like a client would, until the task is stopped. */
  async waitTask(node: string, upid: string, timeoutMs = 5000): Promise<Row> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.taskStatus(node, upid);
      if (status.status === 'stopped') return status;
      if (Date.now() > deadline) throw new Error(`task ${upid} still running`);
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  /** Polls a guest's live status until it matches or the deadline passes. */
  async waitGuest(node: string, type: 'qemu' | 'lxc', vmid: number, status: string, timeoutMs = 5000): Promise<Row> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.api('GET', `/nodes/${node}/${type}/${vmid}/status/current`);
      const data = res.status === 200 ? row(res) : undefined;
      if (data?.['status'] === status) return data;
      if (Date.now() > deadline) throw new Error(`${type} ${vmid} never became ${status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): Promise<void> {
    return this.sim.close();
  }
}

/** The decode regex from pve-common PVE/UPID.pm, as quoted in the API notes. */
export const UPID_DECODE =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;
