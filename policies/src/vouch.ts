/**
 * Statements the API vouches for: an operator's decision, a kill-switch or autonomy change, the
 * override passkey's grant, a request started on an operator's behalf. The API signs each with
 * its Ed25519 private key (JARVIS_SIGNING_KEY), which never leaves it; workflows verify with the
 * public key from Jarvis's policy store, inside update validators (synchronous, in the sandbox:
 * hence a pure-JS verifier). No secret enters a history: an HMAC would have to.
 *
 * One declaration of each statement's signed fields: the API signs and the workflows verify the
 * same `vouchMessage`.
 */
import { ed25519 } from '@noble/curves/ed25519';

export type VouchKind = 'decision' | 'requester' | 'kill-switch' | 'autonomy' | 'forget-attempts' | 'override-grant';

/** The signed fields of one statement: scalars only, so the message is canonical. */
export type VouchFields = Readonly<Record<string, string | number | boolean | null>>;

/** What the API attaches to a statement. */
export interface Voucher {
  /** ISO time the API signed at. */
  readonly at: string;
  /** Random, per statement: a replayed statement carries a nonce already used. */
  readonly nonce: string;
  /** Ed25519 signature of `vouchMessage(kind, fields, at, nonce)`, base64url. */
  readonly sig: string;
}

/** Whether `signature` is `publicKey`'s Ed25519 signature of `message`. */
export type SignatureCheck = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

// A verify multiplies the base point once. Its default 8-bit window table costs ~45 ms to build,
// and the workflow sandbox builds it again for every workflow; without the table the first verify
// takes a few milliseconds. Nothing here signs, so the table would never pay for itself.
ed25519.ExtendedPoint.BASE.precompute(1);

/** The pure-JS check, for the workflow sandbox (update validators are synchronous, and have no crypto module). */
export const sandboxSignatureCheck: SignatureCheck = (signature, message, publicKey) =>
  ed25519.verify(signature, message, publicKey);

/** How old a statement may be when it arrives, and how far in the future (clock skew). */
export const VOUCH_MAX_AGE_MS = 5 * 60_000;
export const VOUCH_MAX_SKEW_MS = 60_000;

export type VouchRefusal = 'UNSIGNED' | 'NO_KEY' | 'FORGED' | 'STALE' | 'REPLAYED';

export type VouchCheck =
  | { readonly ok: true; readonly nonce: string }
  | { readonly ok: false; readonly code: VouchRefusal; readonly reason: string };

/** The exact bytes signed: a JSON array with the fields sorted by name. */
export function vouchMessage(kind: VouchKind, fields: VouchFields, at: string, nonce: string): Uint8Array {
  const sorted = Object.keys(fields)
    .sort()
    .map((k) => [k, fields[k] ?? null]);
  return new TextEncoder().encode(JSON.stringify(['jarvis-vouch-v1', kind, at, nonce, sorted]));
}

const refuse = (code: VouchRefusal, reason: string): VouchCheck => ({ ok: false, code, reason });

/**
 * Checks a voucher: well-formed, fresh, not seen before (`seen` holds this consumer's used
 * nonces), and signed by the key (by `check`: the sandbox's pure-JS one unless a Node process
 * passes its native one). Anything unexpected refuses; nothing here throws.
 */
export function verifyVouch(
  publicKey: string | undefined,
  kind: VouchKind,
  fields: VouchFields,
  voucher: unknown,
  nowMs: number,
  seen: ReadonlySet<string> = new Set(),
  check: SignatureCheck = sandboxSignatureCheck,
): VouchCheck {
  if (typeof voucher !== 'object' || voucher === null) {
    return refuse('UNSIGNED', `this ${kind} carries no signature from Jarvis's API`);
  }
  const v = voucher as Record<string, unknown>;
  const { at, nonce, sig } = v;
  if (typeof at !== 'string' || typeof nonce !== 'string' || typeof sig !== 'string') {
    return refuse('UNSIGNED', `this ${kind} carries no signature from Jarvis's API`);
  }
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) return refuse('FORGED', `malformed ${kind} voucher`);
  if (typeof publicKey !== 'string' || publicKey === '') {
    return refuse('NO_KEY', 'no decision key is in the policy store yet: is the API running?');
  }
  const atMs = Date.parse(at);
  if (!Number.isFinite(atMs)) return refuse('FORGED', `malformed ${kind} voucher`);
  if (atMs < nowMs - VOUCH_MAX_AGE_MS || atMs > nowMs + VOUCH_MAX_SKEW_MS) {
    return refuse('STALE', `this ${kind} was signed at ${at}, too far from now`);
  }
  if (seen.has(nonce)) return refuse('REPLAYED', `this ${kind} was already used`);
  const key = fromBase64Url(publicKey);
  const signature = fromBase64Url(sig);
  if (!key || key.length !== 32 || !signature || signature.length !== 64) {
    return refuse('FORGED', `the signature on this ${kind} is not Jarvis's`);
  }
  let valid: boolean;
  try {
    valid = check(signature, vouchMessage(kind, fields, at, nonce), key);
  } catch {
    valid = false;
  }
  return valid ? { ok: true, nonce } : refuse('FORGED', `the signature on this ${kind} is not Jarvis's`);
}

/** Signed fields of an operator's decision on one approval. */
export const decisionFields = (d: {
  readonly approvalId?: unknown;
  readonly verdict?: unknown;
  readonly by?: unknown;
  readonly fingerprint?: unknown;
  readonly typedName?: unknown;
}): VouchFields => ({
  approvalId: str(d.approvalId),
  verdict: str(d.verdict),
  by: str(d.by),
  fingerprint: str(d.fingerprint),
  typedName: str(d.typedName),
});

/** Signed fields of a request started on an operator's behalf: who, and exactly which workflow. */
export const requesterFields = (r: {
  readonly workflowId: string;
  readonly kind: unknown;
  readonly id: unknown;
}): VouchFields => ({
  workflowId: r.workflowId,
  kind: str(r.kind),
  id: str(r.id),
});

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url (or base64) to bytes, without Buffer (the workflow sandbox has none); undefined if malformed. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  const clean = text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(clean) || clean.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let i = 0;
  for (const ch of clean) {
    value = (value << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[i++] = (value >> bits) & 0xff;
    }
  }
  return out;
}
