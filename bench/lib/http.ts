/**
 * What a typical script does against a rate-limited API: plain fetch, and on
 * 429/503 wait for Retry-After (1 s when absent) and try again.
 */
export interface RequestCounter {
  requests: number;
  throttled: number;
}

export function politeFetch(counter: RequestCounter): typeof fetch {
  return async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      counter.requests++;
      const res = await fetch(input, init);
      if ((res.status !== 429 && res.status !== 503) || attempt >= 50) return res;
      counter.throttled++;
      await res.arrayBuffer().catch(() => undefined);
      const after = Number(res.headers.get('retry-after'));
      await new Promise((r) => setTimeout(r, Number.isFinite(after) && after > 0 ? after * 1000 : 1000));
    }
  };
}
