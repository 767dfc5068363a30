import { createServer } from 'node:net';

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Fail fast with the port's name rather than a confusing EADDRINUSE from a child later. */
export async function assertPortsFree(ports: readonly number[]): Promise<void> {
  const taken: number[] = [];
  for (const port of ports) if (!(await isFree(port))) taken.push(port);
  if (taken.length)
    throw new Error(`port(s) ${taken.join(', ')} on 127.0.0.1 are in use; stop whatever holds them (an earlier demo?)`);
}
