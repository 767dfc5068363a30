import { randomBytes } from 'node:crypto';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { Agent, request } from 'undici';
import { type LedgerEntry } from '@jarvis/pve-sim';
import { DEFAULT_PROTECTED, defaultTierTable, type PowerAction, type Tier } from '@jarvis/policies';
import { VM_ACTION_WORKFLOW, type VmActionInput, type VmActionResult } from '@jarvis/workflows/api';
import { type TestStack } from './stack';
import { requesterVoucher, storePolicy } from './vouch';

export async function simControl<T = unknown>(
  stack: TestStack,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const dispatcher = new Agent({ connect: { ca: stack.sim.certPem } });
  try {
    const res = await request(`${stack.sim.controlUrl}${path}`, {
      method: method as 'GET',
      dispatcher,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new Error(`sim ${method} ${path}: ${res.statusCode} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  } finally {
    await dispatcher.close();
  }
}

export const ledger = (stack: TestStack): Promise<LedgerEntry[]> => simControl<LedgerEntry[]>(stack, 'GET', '/ledger');

export function powerCalls(entries: LedgerEntry[], vmid: number, action: string): LedgerEntry[] {
  return entries.filter((e) => e.vmid === vmid && (e.action === action || e.path.endsWith(`/status/${action}`)));
}

export function vmActionInput(
  over: Partial<VmActionInput> & { node: string; vmid: number; action: PowerAction },
  tiers: Record<string, Tier> = {},
): VmActionInput {
  return {
    requestedBy: { kind: 'operator', id: 'operator' },
    policy: { tiers: { ...defaultTierTable(), ...tiers }, protected: DEFAULT_PROTECTED },
    twoPersonRule: true,
    approvalTtlMs: 60_000,
    escalateAfterMs: 30_000,
    timing: { heartbeatTimeoutMs: 3_000 },
    ...over,
  };
}

/**
 * Starts a VM action as the API does: the tier table and approval rule the input names are put
 * in Jarvis's policy store first (the workflow reads them there, never from its input), and the
 * requester is vouched for with the stack's key.
 */
export async function startVmAction(stack: TestStack, input: VmActionInput) {
  const workflowId = `vm-action:${input.node}:${input.vmid}:${input.action}:${randomBytes(6).toString('hex')}`;
  const { policy, twoPersonRule, ...rest } = input;
  await storePolicy(stack, {
    ...(policy ? { tiers: policy.tiers } : {}),
    ...(twoPersonRule !== undefined ? { twoPersonRule } : {}),
  });
  const vouched: VmActionInput = {
    ...rest,
    requesterVoucher: input.requesterVoucher ?? requesterVoucher(stack, workflowId, input.requestedBy),
  };
  return stack.client.workflow.start<(i: VmActionInput) => Promise<VmActionResult>>(VM_ACTION_WORKFLOW, {
    taskQueue: stack.taskQueue,
    workflowId,
    args: [vouched],
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
}

export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
