import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * One process at a time per data directory. chDB opens a directory another
 * process is writing without a word (two engines on one directory corrupt
 * it), so a command that opens the directory holds `polymarket-sync.pid`
 * there: created exclusively, holding our pid. A file whose process is gone
 * (a crash, a kill -9) is stale and taken over. Re-entrant within a process.
 */
const held = new Map<string, number>();
let exitHook = false;

/** Another process holds the data directory. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    /** The holder's command line, as it recorded it (absent in a lock file written before it did). */
    readonly command?: string,
  ) {
    super(`data directory ${dataDir} is in use by process ${pid}${command ? ` (${command})` : ''}`);
  }
}

/** What the lock file says the holder is running: `polymarket-sync` and its arguments, cut short. */
const commandLine = () => {
  const line = ['polymarket-sync', ...process.argv.slice(2)].join(' ').replace(/\s+/g, ' ');
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
};
const LOCK_FILE = 'polymarket-sync.pid';

export function holdDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  const count = held.get(dir) ?? 0;
  if (count === 0) acquire(dir);
  held.set(dir, count + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (held.get(dir) ?? 1) - 1;
    if (left > 0) return void held.set(dir, left);
    held.delete(dir);
    removeIfOurs(join(dir, LOCK_FILE));
  };
}

function acquire(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${process.pid}\n${commandLine()}\n`);
      } finally {
        closeSync(fd);
      }
      if (!exitHook) process.once('exit', releaseAllOnExit);
      exitHook = true;
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = ownerOf(path);
    if (owner !== null && owner !== process.pid && alive(owner)) throw new DataDirInUseError(dir, owner, holderCommand(path));
    // Stale (its process is gone) or unreadable half-written: take it over.
    rmSync(path, { force: true });
  }
  throw new DataDirInUseError(dir, ownerOf(path) ?? 0);
}

function holderCommand(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').split('\n')[1]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

function ownerOf(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').split('\n')[0]!.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfOurs(path: string): void {
  if (ownerOf(path) === process.pid) rmSync(path, { force: true });
}

/** A process that exits (process.exit after a failure) leaves no lock behind. */
function releaseAllOnExit(): void {
  for (const dir of held.keys()) removeIfOurs(join(dir, LOCK_FILE));
  held.clear();
}
