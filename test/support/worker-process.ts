import { type ChildProcess } from 'node:child_process';
import { type TestStack } from './stack';
import { eventually } from './vm-action.fixtures';

/** The worker as its own OS process, once it says it is polling (its output is the error if it dies first). */
export async function startWorkerProcess(stack: TestStack): Promise<ChildProcess> {
  const child = stack.spawnWorkerProcess();
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await eventually(
    async () =>
      output.includes('polling task queue')
        ? true
        : child.exitCode !== null
          ? Promise.reject(new Error(output))
          : undefined,
    30_000,
  );
  return child;
}

/** SIGKILL, as a crash would, and wait until the process is gone. */
export async function killProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
