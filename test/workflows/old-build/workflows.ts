import { condition, sleep } from '@temporalio/workflow';

/*
 * Stand-ins for the monitor and the guardian as an older build ran them: the same workflow types,
 * a different sequence of commands (a timer first), so today's bundle cannot replay their
 * histories. Registered only by the singleton-replacement test.
 */

export async function monitorWorkflow(_input: unknown): Promise<void> {
  await sleep('1 day');
}

export async function guardianWorkflow(_input: unknown): Promise<void> {
  await sleep('1 day');
  await condition(() => false);
}
