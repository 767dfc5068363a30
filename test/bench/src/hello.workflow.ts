import { proxyActivities } from '@temporalio/workflow';

// The baseline: one workflow, one activity. Everything the bench reports is a ratio to this.
const { hello } = proxyActivities<{ hello(name: string): Promise<string> }>({ startToCloseTimeout: '10s' });

export async function helloWorkflow(name: string): Promise<string> {
  return hello(name);
}
