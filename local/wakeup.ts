/**
 * Lets a loop that checks state wait for the next event that may have
 * changed it, with a bound as its floor: `next(ms)` settles at the first
 * `wake()` or after `ms`. A wake while nobody waits is kept for the next
 * wait, so an event that lands while the loop is busy checking is not lost.
 */
export class Wakeup {
  private waiters = new Set<() => void>();
  private pending = false;

  wake(): void {
    if (this.waiters.size === 0) {
      this.pending = true;
      return;
    }
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const resolve of waiters) resolve();
  }

  next(atMostMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const settle = () => {
        clearTimeout(timer);
        this.waiters.delete(settle);
        resolve();
      };
      const timer = setTimeout(settle, atMostMs);
      this.waiters.add(settle);
    });
  }
}
