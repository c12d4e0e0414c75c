import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Wakeup } from '#local/wakeup.ts';

describe('Wakeup', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Whether `p` has settled, once pending microtasks have run (fake timers do not move). */
  async function settled(p: Promise<void>): Promise<boolean> {
    let done = false;
    void p.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    return done;
  }

  it('settles a wait at the first wake, before its bound', async () => {
    const w = new Wakeup();
    const waiting = w.next(60_000);
    expect(await settled(waiting)).toBe(false);
    w.wake();
    expect(await settled(waiting)).toBe(true);
  });

  it('settles a wait at its bound when nothing wakes it', async () => {
    const w = new Wakeup();
    const waiting = w.next(1_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
  });

  it('keeps a wake that came while nobody waited for the next wait, once', async () => {
    const w = new Wakeup();
    w.wake();
    w.wake();
    expect(await settled(w.next(60_000))).toBe(true);
    expect(await settled(w.next(60_000))).toBe(false);
  });

  it('does not keep a wake for later once a wait ended at its bound', async () => {
    const w = new Wakeup();
    const first = w.next(10);
    await vi.advanceTimersByTimeAsync(10);
    expect(await settled(first)).toBe(true);
    const second = w.next(60_000);
    expect(await settled(second)).toBe(false);
    w.wake();
    expect(await settled(second)).toBe(true);
  });
});
