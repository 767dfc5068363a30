import { createDbActivities, createProxmoxActivities, type ProxmoxClient } from '@jarvis/activities';
import { ApprovalsRepository, ArchiveQueueRepository, ArchiveRepository, AuditRepository } from '@jarvis/db';
import { type Pool } from 'pg';
import { WORKFLOW_BUNDLE_PATH } from './bundle-path';
import { createReplayActivities } from './replay.activities';

/** Every activity the worker registers, wired to real clients. The tool catalog's handlers must all be here. */
export function createJarvisActivities({
  pve,
  pool,
  bundlePath = WORKFLOW_BUNDLE_PATH,
}: {
  pve: ProxmoxClient;
  pool: Pool;
  bundlePath?: string;
}) {
  return {
    ...createProxmoxActivities({ pve }),
    ...createDbActivities({
      audit: new AuditRepository(pool),
      approvals: new ApprovalsRepository(pool),
      archiveQueue: new ArchiveQueueRepository(pool),
    }),
    ...createReplayActivities({ archive: new ArchiveRepository(pool), bundlePath }),
  };
}

export type JarvisActivities = ReturnType<typeof createJarvisActivities>;
