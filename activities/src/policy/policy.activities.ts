import { createPublicKey, verify } from 'node:crypto';
import { Context } from '@temporalio/activity';
import {
  requesterFields,
  verifyVouch,
  type LoadedPolicy,
  type SignatureCheck,
  type VouchCheck,
  type VouchFields,
} from '@jarvis/policies';
import { type PolicySource } from './policy-source';

/** What a workflow asks with its policy: the statements its input carries, to be checked against the API's key. */
export interface PolicyLoadRequest {
  /** When the workflow started (the server's time): its vouchers are judged at it, not at a late first task. */
  readonly startedAtMs: number;
  /** Who the input says asked, and the API's voucher for it. */
  readonly requester?: { readonly kind: string; readonly id: string; readonly voucher?: unknown };
  /** The override passkey's grant the input carries, and for whom. */
  readonly overrideGrant?: { readonly by: string; readonly voucher?: unknown };
}

export interface LoadedRunPolicy extends LoadedPolicy {
  /** The requester check, when one was asked for. */
  readonly requester?: VouchCheck;
  /** Whether the override grant is the API's, for this very workflow and operator. */
  readonly overrideGranted?: boolean;
}

/** Node's native Ed25519 check (fractions of a millisecond; the sandbox's pure-JS one takes a few). */
const nativeSignatureCheck: SignatureCheck = (signature, message, publicKey) =>
  verify(
    null,
    message,
    createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    }),
    signature,
  );

/**
 * The policy every workflow judges by, from Jarvis's own store; its result is in the history.
 * It also checks, against the API's key in that store, the statements the workflow's input
 * carries about who asked: for the workflow that called (its ID comes from Temporal, not from the
 * caller), so the answer cannot be replayed onto another workflow.
 */
export function createPolicyActivities({ source }: { source: PolicySource }) {
  return {
    async loadPolicy(request?: PolicyLoadRequest): Promise<LoadedRunPolicy> {
      const loaded = await source.load();
      if (!request) return loaded;
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      const key = loaded.decisionKey?.publicKey;
      const check = (kind: 'requester' | 'override-grant', fields: VouchFields, voucher: unknown) =>
        verifyVouch(key, kind, fields, voucher, request.startedAtMs, new Set(), nativeSignatureCheck);
      const requester = request.requester
        ? check(
            'requester',
            requesterFields({ workflowId, kind: request.requester.kind, id: request.requester.id }),
            request.requester.voucher,
          )
        : undefined;
      const overrideGranted = request.overrideGrant
        ? check('override-grant', { workflowId, by: request.overrideGrant.by }, request.overrideGrant.voucher).ok
        : undefined;
      return {
        ...loaded,
        ...(requester ? { requester } : {}),
        ...(overrideGranted !== undefined ? { overrideGranted } : {}),
      };
    },
  };
}

export type PolicyActivities = ReturnType<typeof createPolicyActivities>;
