/**
 * Resolves once `condition` holds, checking again after each turn of the
 * event loop (and a short pause, so a busy loop does not starve I/O).
 * It waits on state, never on elapsed time: the test's own timeout is the
 * only failure bound.
 */
export async function until(condition: () => boolean | Promise<boolean>, pauseMs = 5): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, pauseMs));
}

/** Lets pending I/O callbacks and microtasks run, without waiting on any timer. */
export async function flushIo(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}
