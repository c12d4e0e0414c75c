import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Context } from 'aws-lambda';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { localLambdaContext } from '#local/event-source.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { createLoaderHandler } from '#functions/handlers/loader.ts';
import { createObservability } from '#functions/handlers/observability.ts';
import { POSITIONS_LEASE } from '#shared/pipeline/derive.ts';
import { DERIVE_EVENT } from '#shared/pipeline/messages.ts';
import type { BlobStore } from '#shared/ports/index.ts';
import type { StateStore } from '#shared/ports/state.ts';
import { computePositions } from '#shared/positions/method.ts';
import { deriveState } from './derive-state.ts';
import { events, insert, load, MARKETS, stored } from './ledger-fixture.ts';

describe("the loader's positions schedule", () => {
  let client: ClickHouseClient;
  beforeAll(() => {
    client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-derive-schedule-')));
  });
  afterAll(() => client?.close());

  async function scheduled(db: string, state: StateStore) {
    await migrate(client, db);
    await insert(client, db, 'conditions', MARKETS.conditions);
    await insert(client, db, 'neg_risk_questions', MARKETS.questions);
    const ledger = events(6, 1, 90);
    await load(client, db, ledger);
    const handler = createLoaderHandler({
      state,
      // The schedule loads nothing: any read of a staged object is a defect.
      blobs: {} as BlobStore,
      warehouse: async () => ({ client, database: db }),
      ...createObservability({ service: 'polymarket-sync', namespace: 'PolymarketSync', stage: 'test', logLevel: 'SILENT', publishMetrics: false }),
    }) as unknown as (event: unknown, context: Context) => Promise<unknown>;
    return { ledger, run: () => handler(DERIVE_EVENT, localLambdaContext('loader', 300_000)) };
  }

  it('brings positions to the watermark with no object to load', async () => {
    const db = 'derive_schedule';
    const { ledger, run } = await scheduled(db, deriveState(90));
    expect(await run()).toEqual({ batchItemFailures: [] });
    expect(await stored(client, db)).toEqual(computePositions({ ...ledger, conditions: MARKETS.conditions, questions: MARKETS.questions }));
  });

  it('leaves the refresh to a loader that holds it, at once and without an error', async () => {
    const db = 'derive_schedule_busy';
    const state = deriveState(90);
    await state.acquireLease(POSITIONS_LEASE, 'a loader refreshing', 60_000);
    let asked = 0;
    const counting: StateStore = {
      ...state,
      acquireLease: (...args) => {
        asked++;
        return state.acquireLease(...args);
      },
    };
    const { run } = await scheduled(db, counting);
    expect(await run()).toEqual({ batchItemFailures: [] });
    // Asked once: a loader after its loads waits its turn, asking again every 250 ms for up to 2 minutes.
    expect(asked).toBe(1);
    expect(await stored(client, db)).toEqual([]);
  });
});
