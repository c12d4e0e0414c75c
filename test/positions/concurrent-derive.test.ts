import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import type { RunRecord } from '#shared/ports/state.ts';
import { POSITIONS_LEASE, refreshDerivedTables } from '#shared/pipeline/derive.ts';
import { computePositions } from '#shared/positions/method.ts';
import { since, snapshot } from '#shared/telemetry/counters.ts';
import { deriveState } from './derive-state.ts';
import { events, insert, load, MARKETS, stored } from './ledger-fixture.ts';

/** A promise and its resolver, to hold one party at a point until another has passed one. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

/** The client as `party` sees it: `hooks` run after a matching statement has finished, before the caller goes on. */
function watched(
  client: ClickHouseClient,
  hooks: { afterInsert?: (table: string) => Promise<void>; afterCommand?: (sql: string) => Promise<void>; beforeQuery?: () => Promise<void> },
): ClickHouseClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'insert') {
        return async (params: Parameters<ClickHouseClient['insert']>[0]) => {
          const result = await target.insert(params);
          await hooks.afterInsert?.(params.table);
          return result;
        };
      }
      if (prop === 'command') {
        return async (params: Parameters<ClickHouseClient['command']>[0]) => {
          const result = await target.command(params);
          await hooks.afterCommand?.(params.query);
          return result;
        };
      }
      if (prop === 'query') {
        return async (params: Parameters<ClickHouseClient['query']>[0]) => {
          await hooks.beforeQuery?.();
          return target.query(params);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('two loaders deriving positions at once after a windowed chain run', () => {
  let client: ClickHouseClient;
  beforeAll(() => {
    client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-derive-')));
  });
  afterAll(() => client?.close());

  /** A database with the markets and `ledger` loaded. */
  async function loaded<T extends Parameters<typeof load>[2]>(db: string, ledger: T): Promise<T> {
    await migrate(client, db);
    await insert(client, db, 'conditions', MARKETS.conditions);
    await insert(client, db, 'neg_risk_questions', MARKETS.questions);
    await load(client, db, ledger);
    return ledger;
  }

  /** A completed run over an operator's window of the chain, up to `to`: positions are rebuilt after it. */
  const windowedRun = (runId: string, to: number): RunRecord => ({
    runId,
    status: 'complete',
    createdAt: 0,
    sources: { chain: { target: String(to), shards: 1, estimatedRows: 1 } },
    shardCount: 1,
    window: { from: '1', to: String(to) },
  });

  it("never lets one's rebuild truncate what the other wrote: positions match the method, and are counted once", async () => {
    const db = 'derive_race';
    const ledger = await loaded(db, events(3, 1, 200));
    const run = windowedRun('r-window', 200);

    // A writes its positions; only then does B start. A then waits until B has either cleared the tables for its own
    // rebuild or been told to wait its turn. A cleared by B after A's insert, and B reading A's progress row, was the race.
    const aInserted = signal();
    const bCleared = signal();
    const bRefused = signal();
    const aDone = signal();
    const state = deriveState(200, run, () => bRefused.fire());
    const a = watched(client, {
      afterInsert: async (table) => {
        if (!table.endsWith('.positions')) return;
        aInserted.fire();
        await Promise.race([bCleared.promise, bRefused.promise]);
      },
    });
    let bClearedAlready = false;
    const b = watched(client, {
      afterCommand: async (sql) => {
        if (sql.includes('positions_progress')) {
          bClearedAlready = true;
          bCleared.fire();
        }
      },
      beforeQuery: async () => {
        if (bClearedAlready) await aDone.promise;
      },
    });

    const before = snapshot();
    const first = refreshDerivedTables({ state, client: a, database: db }, [run.runId]).finally(() => aDone.fire());
    await aInserted.promise;
    const second = refreshDerivedTables({ state, client: b, database: db }, [run.runId]);
    const [ra, rb] = await Promise.all([first, second]);

    const expected = computePositions({ ...ledger, conditions: MARKETS.conditions, questions: MARKETS.questions });
    expect(await stored(client, db)).toEqual(expected);
    expect(ra?.positionsWritten).toBe(expected.length);
    expect(rb?.positionsWritten).toBe(0);
    expect(since(before).PositionsUpdated).toBe(expected.length);
  });

  it('a loader that cannot get its turn fails its refresh with a clear error, and leaves positions as they were', async () => {
    const db = 'derive_busy';
    await migrate(client, db);
    await load(client, db, events(4, 1, 50));
    const run: RunRecord = { runId: 'r-busy', status: 'complete', createdAt: 0, sources: {}, shardCount: 0 };
    const state = deriveState(50, run, () => undefined);
    await state.acquireLease(POSITIONS_LEASE, 'another loader', 60_000);
    await expect(refreshDerivedTables({ state, client, database: db, leaseWait: { pollMs: 1, maxWaitMs: 0 } })).rejects.toThrow(
      /another loader has held the refresh .*; the next batch refreshes them/,
    );
    expect(await stored(client, db)).toEqual([]);
  });

  it('a rebuild cut short is resumed by the next refresh, not begun again', async () => {
    const db = 'derive_resumed';
    const ledger = await loaded(db, events(5, 1, 120));
    const run = windowedRun('r-rebuild', 120);
    const state = deriveState(120, run, () => undefined);
    // The rebuild's process dies at its first positions insert (a Lambda timing out there).
    const dying = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'insert') {
          return async (params: Parameters<ClickHouseClient['insert']>[0]) => {
            if (params.table.endsWith('.positions')) throw new Error('killed');
            return target.insert(params);
          };
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await expect(refreshDerivedTables({ state, client: dying, database: db }, [run.runId])).rejects.toThrow(/killed/);

    const truncates: string[] = [];
    const watching = watched(client, { afterCommand: async (sql) => void (sql.includes('TRUNCATE') && truncates.push(sql)) });
    await refreshDerivedTables({ state, client: watching, database: db }, [run.runId]);
    expect(truncates).toEqual([]);
    expect(await stored(client, db)).toEqual(computePositions({ ...ledger, conditions: MARKETS.conditions, questions: MARKETS.questions }));
  });
});
