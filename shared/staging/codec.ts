import { gzipSync, createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { STAGED_TABLES, stagedRecordSchema, type StagedRecord, type StagedTable } from '#shared/model/staged.ts';
import { fillJson, fillJsonProblem } from './fill-line.ts';

export const STAGED_CONTENT_TYPE = 'application/x-ndjson';

/**
 * Every line is `{"table":"<name>","row":<row JSON>}` with exactly this
 * prefix, so the loader can cut the row out of a line without parsing it.
 */
const linePrefix = (table: StagedTable) => `{"table":"${table}","row":`;
const PREFIXES = STAGED_TABLES.map((t) => [t, linePrefix(t)] as const);

/** Deterministic for the same records: a re-fetched page stages byte-identical objects (same ETag). */
export function encodeStaged(records: StagedRecord[]): Buffer {
  const object = new StagedObjectBuilder();
  object.add(records);
  return object.finish();
}

/**
 * Builds a staged object page by page. Each page is compressed as it comes
 * and kept only as its own gzip member (concatenated members are one valid
 * gzip file), so a fetcher holds one page of rows, never a whole object's.
 * The same pages always give the same bytes, so a re-fetch keeps the ETag.
 */
export class StagedObjectBuilder {
  private readonly members: Buffer[] = [];
  private count = 0;

  add(records: readonly StagedRecord[]): void {
    if (records.length === 0) return;
    const text = records.map((r) => `${linePrefix(r.table)}${r.table === 'fills' ? fillJson(r.row) : JSON.stringify(r.row)}}\n`).join('');
    // Level 1: half the CPU of the default for about 10% larger objects; the fetcher is CPU-bound, S3 is not.
    this.members.push(gzipSync(Buffer.from(text, 'utf8'), { level: 1 }));
    this.count += records.length;
  }

  get records(): number {
    return this.count;
  }

  finish(): Buffer {
    return this.members.length ? Buffer.concat(this.members) : gzipSync(Buffer.alloc(0), { level: 1 });
  }
}

export interface StagedLine {
  table: StagedTable;
  /** The row's JSON text, exactly as staged. */
  rowJson: string;
  lineNumber: number;
}

export class StagedFormatError extends Error {
  override name = 'StagedFormatError';
}

/**
 * Streams a staged object (format 1: gzip JSON lines) line by line without
 * holding it whole, refusing the first line that is not a well-formed record:
 * fills by their canonical shape (cheap, no parse), the few other rows by
 * their full schema.
 */
export async function* readStagedLines(gzipped: Readable): AsyncGenerator<StagedLine> {
  const lines = createInterface({ input: gzipped.pipe(createGunzip()), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.length === 0) continue;
    yield stagedLineOf(line, lineNumber);
  }
}

/** One `{"table":…,"row":…}` line, checked: fills by their canonical shape, the other rows by their schema. */
export function stagedLineOf(line: string, lineNumber: number): StagedLine {
  const match = PREFIXES.find(([, prefix]) => line.startsWith(prefix));
  if (!match || !line.endsWith('}}')) {
    throw new StagedFormatError(`line ${lineNumber} is not a staged record: ${line.slice(0, 120)}`);
  }
  const table = match[0];
  const rowJson = line.slice(match[1].length, -1);
  const problem = table === 'fills' ? fillJsonProblem(rowJson) : recordProblem(line);
  if (problem) throw new StagedFormatError(`line ${lineNumber} (${table}): ${problem}`);
  return { table, rowJson, lineNumber };
}

function recordProblem(line: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  const parsed = stagedRecordSchema.safeParse(value);
  return parsed.success ? null : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}
