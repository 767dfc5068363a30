import { dropTestDatabase } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__jarvisTemporal?.stop();
  const db = process.env['JARVIS_TEST_DB'];
  if (db && process.env['JARVIS_TEST_KEEP_DB'] !== '1') await dropTestDatabase(db);
}
