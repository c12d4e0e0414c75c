/** What the bench smoke tests share: sources that answer at once and never throttle a tiny dataset. */
export const INSTANT_SOURCES = { rate: 1_000, latencyMs: 0 } as const;
