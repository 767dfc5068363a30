/**
 * Timers that can all be cancelled at once, so reset and close leave no stray task
 * finishing against a scenario that no longer exists.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private generation = 0;

  after(ms: number, fn: () => void): void {
    const gen = this.generation;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (gen !== this.generation) return;
        try {
          fn();
        } catch (err) {
          // A bug in one simulated effect must not take the whole simulator down mid-test.
          process.stderr.write(
            `pve-sim: scheduled effect failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
          );
        }
      },
      Math.max(0, ms),
    );
    this.timers.add(timer);
  }

  cancelAll(): void {
    this.generation++;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
