import { assertIdentifier } from '#adapters/clickhouse/schema.ts';
import type { QualityTarget } from './types.ts';

/** A target whose database name has been checked, so it may be spliced into SQL. */
export interface Checked extends QualityTarget {
  db: string;
}

export function checked(target: QualityTarget): Checked {
  return { ...target, db: assertIdentifier(target.database) };
}

/** Rows of one SELECT; values travel as query parameters, never in the text. */
export async function rows<T>(w: Checked, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const res = await w.client.query({ query, query_params: params, format: 'JSONEachRow', abort_signal: w.signal });
  return (await res.json()) as T[];
}

export async function one<T>(w: Checked, query: string, params: Record<string, unknown> = {}): Promise<T> {
  const [row] = await rows<T>(w, query, params);
  if (row === undefined) throw new Error('query returned no row');
  return row;
}

/** ClickHouse sends 64-bit integers as strings (output_format_json_quote_64bit_integers). */
export function num(v: string | number): number {
  return Number(v);
}

/** `2026-04-28 11:00:40` (DateTime in UTC, as JSONEachRow writes it) to unix seconds. */
export function unixOf(dateTime: string): number {
  return Date.parse(`${dateTime.replace(' ', 'T')}Z`) / 1000;
}

export function isoOf(unix: number): string {
  return new Date(unix * 1000).toISOString().replace('.000Z', 'Z');
}

export const DAY_SECONDS = 86_400;

/** Thousands separators, for summaries. */
export function fmt(n: number | bigint): string {
  return n.toLocaleString('en-US');
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}
