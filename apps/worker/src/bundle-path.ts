import { join } from 'node:path';

export const WORKFLOWS_ENTRY = require.resolve('@jarvis/workflows');
/** Beside the compiled workflows, so a build of the workflows package and its bundle live together. */
export const WORKFLOW_BUNDLE_PATH = join(WORKFLOWS_ENTRY, '..', 'workflow-bundle.js');
