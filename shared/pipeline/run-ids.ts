import { randomBytes } from 'node:crypto';

/** Sortable by time, unique across concurrent planners: 20261121T120000Z-ab12cd. */
export function newRunId(now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function shardIdOf(index: number): string {
  return String(index).padStart(5, '0');
}
