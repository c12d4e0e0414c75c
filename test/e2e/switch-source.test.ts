import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedSources, type Dataset, type SimulatedSources } from '#simulator/index.ts';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';
import { dynamoDocumentClient } from '#adapters/aws/clients.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { referencePositions } from '#test/support/reference-pnl.ts';
import { startTestPipeline, type TestPipeline } from '#test/support/pipeline.ts';

const V1_EXCHANGES = new Set(['0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e', '0xc5d563a36ae78145c45a50134d48a1215220f80a']);

/**
 * A user who took V1 history from the subgraph switches to the chain: the
 * chain's V1 fills (with block and log index) replace the subgraph's rows,
 * nothing is counted twice, and positions are rebuilt in chain order.
 */
describe('switching V1 history from the subgraph to the chain', () => {
  let world: ChainWorld;
  let dataset: Dataset;
  let sim: SimulatedSources;
  let p: TestPipeline;

  beforeAll(async () => {
    world = await startChainWorld({ seed: 6, v1: { fills: 600 }, v2: { fills: 300 } });
    dataset = world.subgraphDataset();
    sim = await startSimulatedSources({ dataset });
    p = await startTestPipeline({ ...sim.env, ...world.env });
  });
  afterAll(async () => {
    await p?.close();
    await sim?.close();
    await world?.close();
  });

  const v1Chain = () => world.expected.fills.filter((f) => V1_EXCHANGES.has(f.exchange));

  it('first loads V1 from the subgraph: the same amounts as the chain, but an order filled twice in one transaction is one row there', async () => {
    const result = await p.cycle({ env: { SYNC_SOURCES: 'markets,subgraph,chain', CHAIN_V1_FILLS: 'false' } });
    expect(result.reason).toBeUndefined();
    const rows = await p.rows<{
      transaction_hash: string;
      order_hash: string;
      maker: string;
      maker_amount_filled: string;
      taker_amount_filled: string;
      fee: string;
    }>(
      `SELECT transaction_hash, order_hash, maker, toString(maker_amount_filled) AS maker_amount_filled, toString(taker_amount_filled) AS taker_amount_filled, toString(fee) AS fee
       FROM ${p.database}.fills WHERE source = 'subgraph'`,
    );
    expect(rows.length).toBe(dataset.fills.length);
    const fromChain = new Map<string, typeof rows>();
    for (const f of v1Chain()) {
      const key = `${f.transaction_hash}_${f.order_hash}`;
      fromChain.set(key, [
        ...(fromChain.get(key) ?? []),
        {
          transaction_hash: f.transaction_hash,
          order_hash: f.order_hash,
          maker: f.maker,
          maker_amount_filled: f.maker_amount_filled,
          taker_amount_filled: f.taker_amount_filled,
          fee: f.fee,
        },
      ]);
    }
    let twice = 0;
    for (const row of rows) {
      const chain = fromChain.get(`${row.transaction_hash}_${row.order_hash}`);
      expect(chain).toBeDefined();
      if (chain!.length === 1) expect(row).toEqual(chain![0]);
      else {
        twice++;
        // The subgraph's entity keeps the last fill of the order (graph-node's save overwrites).
        expect(row).toEqual(chain!.at(-1));
      }
    }
    expect(twice).toBeGreaterThan(0);
    expect(v1Chain().length).toBeGreaterThan(rows.length);
  });

  it('then backfills V1 from the chain over a block window: every chain fill once, no subgraph row left, positions rebuilt to the reference', async () => {
    const state = new DynamoStateStore(dynamoDocumentClient({ region: p.aws.region, endpoint: p.aws.dynamoEndpoint }), p.aws.table);
    const head = (await state.getWatermarks()).chain?.value;
    expect(head).toBeDefined();
    const result = await p.cycle({
      env: { SYNC_SOURCES: 'markets,chain', CHAIN_V1_FILLS: 'true' },
      window: { from: world.env.CHAIN_GENESIS_BLOCK!, to: head! },
    });
    expect(result.reason).toBeUndefined();
    const totals = await p.one<{ all: string; final: string; distinct: string; subgraph: string }>(
      `SELECT count() AS all, (SELECT count() FROM ${p.database}.fills FINAL) AS final, uniqExact(fill_id) AS distinct, countIf(source = 'subgraph') AS subgraph FROM ${p.database}.fills`,
    );
    const n = String(world.expected.fills.length);
    expect(totals).toEqual({ all: n, final: n, distinct: n, subgraph: '0' });
    const e = world.expected;
    const expected = referencePositions({ fills: e.fills, activity: e.activity, conditions: e.conditions, neg_risk_questions: e.negRiskQuestions });
    const rows = await p.rows<{ wallet: string; token_id: string; amount: string; avg_price: string; realized_pnl: string; total_bought: string }>(
      `SELECT wallet, toString(token_id) AS token_id, toString(amount) AS amount, toString(avg_price) AS avg_price, toString(realized_pnl) AS realized_pnl,
              toString(total_bought) AS total_bought FROM ${p.database}.positions FINAL`,
    );
    expect(new Map(rows.map((r) => [`${r.wallet}|${r.token_id}`, r]))).toEqual(expected);
  });
});
