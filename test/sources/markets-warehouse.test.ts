import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { generateDataset, type Dataset } from '#simulator/dataset.ts';
import { startGammaServer, type GammaServer } from '#simulator/gamma-server.ts';
import { startMarketsServer, type MarketsServer } from '#simulator/markets-server.ts';
import { listClaims, type ListClaim, type MarketList } from '#simulator/market-lists.ts';
import { startSubgraphServer, type SubgraphServer } from '#simulator/subgraph-server.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import { createMarketsSource, type MarketsCursor } from '#shared/sources/markets/index.ts';
import { encodeStaged } from '#shared/staging/codec.ts';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';

/**
 * The three lists' claims, staged and loaded into the embedded ClickHouse:
 * `market_tokens` maps every token by precedence (CLOB, then Gamma, then the
 * subgraph) and `token_conflicts` shows exactly the tokens the lists disagree on.
 */
describe('market lists in the warehouse', () => {
  const db = 'market_lists';
  let client: ClickHouseClient;
  let ds: Dataset;
  let servers: [MarketsServer, GammaServer, SubgraphServer];

  beforeAll(async () => {
    ds = generateDataset({
      seed: 12,
      markets: 400,
      fills: 2_000,
      lists: {
        disagreements: [
          { list: 'gamma', kind: 'condition' },
          { list: 'subgraph', kind: 'condition' },
          { list: 'clob', kind: 'outcome' },
        ],
      },
    });
    servers = await Promise.all([startMarketsServer({ dataset: ds }), startGammaServer({ dataset: ds }), startSubgraphServer({ dataset: ds })]);
    client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-lists-')));
    await migrate(client, db);
    const [clob, gamma, subgraph] = servers;
    const source = createMarketsSource({ timeoutMs: 5_000, maxRetries: 2, url: clob.url, gammaUrl: gamma.url, subgraphUrl: subgraph.url });
    const plan = await source.plan({ watermark: null });
    for (const [i, shard] of plan.shards.entries()) {
      const records: StagedRecord[] = [];
      let cursor: MarketsCursor | null = null;
      do {
        const page = await source.fetchPage(shard.spec, cursor);
        records.push(...page.records);
        cursor = page.next;
      } while (cursor);
      const body = encodeStaged(records);
      const etag = createHash('md5').update(body).digest('hex');
      await loadStagedObject(client, db, { key: `staged/markets/${i}`, etag, body: Readable.from([body]) });
    }
  });
  afterAll(async () => {
    await client?.close();
    await Promise.all(servers?.map((s) => s.close()) ?? []);
  });

  const query = async <T>(sql: string): Promise<T[]> => (await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[];

  it('maps every token, each by the first list in precedence that claims it', async () => {
    const rows = await query<{ token_id: string; condition_id: string; outcome_index: number | null; outcome: string; sources: string[] }>(
      `SELECT toString(token_id) AS token_id, condition_id, outcome_index, outcome, sources FROM ${db}.market_tokens`,
    );
    const claims = Object.fromEntries((['clob', 'gamma', 'subgraph'] as MarketList[]).map((l) => [l, listClaims(ds, l)])) as Record<
      MarketList,
      Map<string, ListClaim>
    >;
    const tokens = ds.markets.flatMap((m) => m.tokens.map((t) => t.tokenId));
    expect(rows).toHaveLength(tokens.length);
    const byToken = new Map(rows.map((r) => [r.token_id, r]));
    for (const t of tokens) {
      const row = byToken.get(t)!;
      const lists = (['clob', 'gamma', 'subgraph'] as const).filter((l) => claims[l].has(t));
      const top = claims[lists[0]!].get(t)!;
      const indexed = claims[lists.find((l) => l !== 'subgraph') ?? 'subgraph'].get(t)!;
      expect(row.sources).toEqual([...lists].sort());
      expect(row.condition_id).toBe(top.conditionId);
      // the subgraph knows no outcome index: it comes from the first list that gives one
      expect(row.outcome_index).toBe(lists.some((l) => l !== 'subgraph') ? indexed.outcomeIndex : null);
    }
  });

  it('lists exactly the tokens whose claims disagree', async () => {
    const rows = await query<{ token_id: string; condition_differs: boolean | number; outcome_differs: boolean | number }>(
      `SELECT toString(token_id) AS token_id, condition_differs, outcome_differs FROM ${db}.token_conflicts`,
    );
    const want = new Map<string, string>();
    for (const d of ds.lists!.disagreements) {
      for (const c of d.claims) {
        // a disagreement shows only where another list also claims the token
        const others = (['clob', 'gamma', 'subgraph'] as const).filter((l) => l !== d.list && listClaims(ds, l).has(c.tokenId));
        if (d.kind === 'outcome' && others.every((l) => l === 'subgraph')) continue;
        if (others.length > 0) want.set(c.tokenId, d.kind);
      }
    }
    expect(want.size).toBeGreaterThan(0);
    expect(new Map(rows.map((r) => [r.token_id, Number(r.condition_differs) ? 'condition' : 'outcome']))).toEqual(want);
  });
});
