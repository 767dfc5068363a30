import { Agent, request } from 'undici';
import { type LedgerEntry, type RunningSimulator } from '@jarvis/pve-sim';

/** The simulator's /_sim control API for the Proxmox client tests: test plumbing, trusting its CA. */
export interface SimControl {
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
  ledger(): Promise<LedgerEntry[]>;
  close(): Promise<void>;
}

export function simControl(sim: RunningSimulator): SimControl {
  const dispatcher = new Agent({ connect: { ca: sim.caPem, checkServerIdentity: () => undefined } });
  const call: SimControl['call'] = async (method, path, body) => {
    const res = await request(`${sim.controlUrl}${path}`, {
      method,
      dispatcher,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`control ${method} ${path}: ${res.statusCode} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  return {
    call,
    ledger: async () => {
      const raw = (await call('GET', '/ledger')) as LedgerEntry[] | { data: LedgerEntry[] };
      return Array.isArray(raw) ? raw : raw.data;
    },
    close: () => dispatcher.close(),
  };
}
