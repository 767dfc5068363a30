import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WORKFLOW_BUNDLE_PATH, WORKFLOWS_ENTRY } from './bundle-path';

/** Prebuilds the workflow bundle once, so workers start without running webpack. */
async function main(): Promise<void> {
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_ENTRY,
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (m) => console.warn(m),
      error: (m) => console.error(m),
    },
  });
  await mkdir(dirname(WORKFLOW_BUNDLE_PATH), { recursive: true });
  await writeFile(WORKFLOW_BUNDLE_PATH, code);
  console.log(
    `workflow bundle: ${WORKFLOW_BUNDLE_PATH} (${(code.length / 1024).toFixed(0)} KiB, ${Date.now() - started} ms)`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
