import { type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

/** pveproxy refuses POST bodies over 512 KiB. */
export const MAX_BODY_BYTES = 512 * 1024;

export class BodyTooLarge extends Error {}

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge('request entity too large'));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The status line only carries the first line, and only characters an HTTP reason may hold. */
export function reasonPhrase(message: string): string {
  const first = message.split('\n')[0] ?? '';
  return first.replace(/[^\t\x20-\x7e]/g, '?').trim() || 'Error';
}

/** pve-http-server AnyEvent.pm response(): the header set and the gzip rule. */
export function writePve(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  reason: string,
  body?: unknown,
): void {
  const date = new Date().toUTCString();
  const headers: Record<string, string | number> = {
    Server: 'pve-api-daemon/3.0',
    'Cache-Control': 'max-age=0',
    Pragma: 'no-cache',
    Date: date,
    Expires: date,
  };
  if (status >= 400) headers['Connection'] = 'close';
  let payload = Buffer.alloc(0);
  if (body !== undefined) {
    payload = Buffer.from(JSON.stringify(body), 'utf8');
    headers['Content-Type'] = 'application/json;charset=UTF-8';
    const accepts = String(req.headers['accept-encoding'] ?? '');
    if (payload.length >= 1024 && /\bgzip\b/.test(accepts)) {
      payload = gzipSync(payload);
      headers['Content-Encoding'] = 'gzip';
    }
  }
  headers['Content-Length'] = payload.length;
  res.writeHead(status, reasonPhrase(reason), headers);
  res.end(payload);
}

export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': payload.length,
    'Cache-Control': 'no-store',
  });
  res.end(payload);
}

export type RawParams = Record<string, string>;

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  // A JSON true stringifies to '1' in Perl, so JSON booleans pass the boolean check.
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export class MalformedBody extends Error {}

/** Form-urlencoded or JSON bodies, flattened to strings as pve-http-server hands them on. */
export function parseBody(contentType: string | undefined, body: Buffer): RawParams {
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  if ((contentType ?? '').toLowerCase().includes('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new MalformedBody('malformed JSON string');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new MalformedBody('JSON body must be an object');
    const out: RawParams = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (v === null) continue;
      const s = scalar(v);
      if (s === undefined) throw new MalformedBody(`parameter '${k}' must be a scalar`);
      out[k] = s;
    }
    return out;
  }
  return Object.fromEntries(new URLSearchParams(text));
}
