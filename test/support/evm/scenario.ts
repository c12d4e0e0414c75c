import { encodeAbiParameters, type Address, type Hex } from 'viem';
import type { FillRow } from '#shared/model/fill.ts';
import { CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2, ORDER_FILLED_TOPIC } from '#shared/sources/chain/index.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import type { ChainCursor, ChainShardSpec, ChainSource } from '#shared/sources/chain/index.ts';
import { fetchBatch } from '#shared/sources/batch.ts';
import type { PlanInput, SourceBatch, SourcePlan } from '#shared/sources/source.ts';
import { ExchangeScript, randomFill, rng, type FillInput } from '#simulator/chain/exchange.ts';
import { startEvmNode, type EvmNode } from '#simulator/chain/node.ts';

/** Not an exchange: same event, must never be read. */
export const DECOY: Address = '0x000000000000000000000000000000000000dEC0';

export interface Scenario {
  node: EvmNode;
  script: ExchangeScript;
  genesis: bigint;
  /** Fills a correct reader returns for [genesis, head]. */
  expected: FillRow[];
  /** Logs on the exchanges with the OrderFilled topic that must come back as rejects. */
  expectedRejects: number;
  /** Fills emitted before genesis (must not be read). */
  preGenesis: number;
  head: bigint;
}

export interface ScenarioOptions {
  seed: number;
  genesis: bigint;
  /** Regions of the chain: blocks and average fills per block. */
  regions: { blocks: number; fillsPerBlock: number }[];
  maxBurst: number;
  /** Keep EDR's blockTimestamp on logs, as some providers send it (default: stripped, as standard nodes do). */
  logTimestamps?: boolean;
  /** Seconds between empty blocks (default 2); 1 with `lateBlocks` is Polygon since Madhugiri. */
  blockSeconds?: number;
  /** The share of runs of empty blocks mined a few seconds late (a missed slot); default 0. */
  lateBlocks?: number;
}

/**
 * Builds a chain on a fresh Hardhat node: the fake exchange at both V2
 * addresses and at a decoy, fills before genesis, a fill in the genesis
 * block, then regions of varying density with single- and multi-fill
 * transactions, several transactions in one block, a side=2 fill and an
 * undecodable OrderFilled-topic log among them.
 */
export async function buildScenario(o: ScenarioOptions): Promise<Scenario> {
  const node = await startEvmNode({ logTimestamps: o.logTimestamps ?? false });
  const script = new ExchangeScript(node);
  const r = rng(o.seed);
  const exchanges: Address[] = [CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2];
  const pick = () => exchanges[r() < 0.6 ? 0 : 1] as Address;
  await script.install([...exchanges, DECOY]);

  await script.mineTo(o.genesis - 5n);
  await script.emitFills(CTF_EXCHANGE_V2, [randomFill(r), randomFill(r)]);
  await script.emitFills(NEG_RISK_EXCHANGE_V2, [randomFill(r)]);
  const preGenesis = 3;
  await script.mineTo(o.genesis - 1n);
  await script.emitFills(CTF_EXCHANGE_V2, [randomFill(r, 0)]); // lands in the genesis block
  if ((await script.blockNumber()) !== o.genesis) throw new Error('genesis fill missed the genesis block');

  const seconds = o.blockSeconds ?? 2;
  let expectedRejects = 0;
  let regionIndex = 0;
  for (const region of o.regions) {
    const start = await script.blockNumber();
    const end = start + BigInt(region.blocks);
    let budget = Math.round(region.blocks * region.fillsPerBlock);
    while (budget > 0) {
      const head = await script.blockNumber();
      const left = Number(end - head);
      if (left <= 1) break;
      const burst = Math.max(1, Math.min(budget, Math.floor(1 + r() ** 2 * o.maxBurst)));
      const expectedGap = Math.max(0, (left * burst) / budget - 1);
      const gap = Math.min(left - 2, Math.floor(r() * 2 * expectedGap));
      const late = gap > 0 && r() < (o.lateBlocks ?? 0);
      if (late) await script.mineLate(seconds + 1 + Math.floor(r() * 4));
      await script.mine(late ? gap - 1 : gap, seconds);
      if (r() < 0.15 && burst >= 3) {
        const a = Math.ceil(burst / 3);
        const b = Math.ceil((burst - a) / 2);
        const fills = Array.from({ length: burst }, () => randomFill(r));
        await script.emitInOneBlock([
          { exchange: pick(), fills: fills.slice(0, a) },
          { exchange: pick(), fills: fills.slice(a, a + b) },
          { exchange: pick(), fills: fills.slice(a + b) },
        ]);
      } else {
        await script.emitFills(
          pick(),
          Array.from({ length: burst }, () => randomFill(r)),
        );
      }
      budget -= burst;
    }
    if (regionIndex === 1) {
      // A side=2 fill between good ones in one transaction: one reject, the others stay.
      const bad: FillInput = { ...randomFill(r), side: 2 };
      await script.emitFills(NEG_RISK_EXCHANGE_V2, [randomFill(r), bad, randomFill(r)]);
      // OrderFilled's topic with data too short to decode.
      await script.emitRaw(
        CTF_EXCHANGE_V2,
        [ORDER_FILLED_TOPIC, `0x${'11'.repeat(32)}`, `0x${'0'.repeat(24)}${'22'.repeat(20)}`, `0x${'0'.repeat(24)}${'33'.repeat(20)}`],
        '0x1234',
      );
      expectedRejects += 2;
      // Decoys: the event from a non-exchange, and another topic from an exchange.
      await script.emitFills(DECOY, [randomFill(r), randomFill(r)], { record: false });
      await script.emitRaw(CTF_EXCHANGE_V2, [`0x${'ab'.repeat(32)}`], encodeAbiParameters([{ type: 'uint256' }], [1n]) as Hex);
    }
    await script.mineTo(end, seconds);
    regionIndex++;
  }
  const head = await script.blockNumber();
  const expected = await script.expectedRows((row) => BigInt(row.block_number) >= o.genesis);
  return { node, script, genesis: o.genesis, expected, expectedRejects, preGenesis, head };
}

export interface RunResult {
  plan: SourcePlan<ChainShardSpec>;
  fills: FillRow[];
  rejects: StagedRecord[];
  /** Block ranges the pages say they read in full, in fetch order. */
  coverage: [number, number][];
  pages: number;
  /** Sum over shards of ceil(blocks / span): the eth_getLogs calls the plan predicts. */
  predictedGetLogs: number;
  planMs: number;
  fetchMs: number;
}

/**
 * Plans and fetches every shard page by page (or `pagesPerBatch` pages at a
 * time, as the fetcher does for a staged object), passing specs and cursors
 * through JSON and the source's zod schemas as the queue and the checkpoint
 * store would.
 */
export async function runSource(source: ChainSource, input: PlanInput, pagesPerBatch = 1): Promise<RunResult> {
  const t0 = Date.now();
  const plan = await source.plan(input);
  const t1 = Date.now();
  const fills: FillRow[] = [];
  const rejects: StagedRecord[] = [];
  const coverage: [number, number][] = [];
  let pages = 0;
  let predictedGetLogs = 0;
  for (const shard of plan.shards) {
    const spec = source.specSchema.parse(JSON.parse(JSON.stringify(shard.spec)));
    predictedGetLogs += Math.ceil(Number(BigInt(spec.toBlock) - BigInt(spec.fromBlock) + 1n) / spec.span);
    let cursor: ChainCursor | null = null;
    do {
      const page: SourceBatch<ChainCursor> =
        pagesPerBatch === 1 ? { ...(await source.fetchPage(spec, cursor)), pages: 1 } : await fetchBatch(source, spec, cursor, pagesPerBatch);
      pages += page.pages;
      for (const rec of page.records) {
        if (rec.table === 'fills') fills.push(rec.row);
        else if (rec.table === 'chain_coverage') coverage.push([rec.row.from_block, rec.row.to_block]);
        else rejects.push(rec);
      }
      cursor = page.next === null ? null : source.cursorSchema.parse(JSON.parse(JSON.stringify(page.next)));
      if (pages > 100_000) throw new Error('runaway paging');
    } while (cursor !== null);
  }
  return { plan, fills, rejects, coverage, pages, predictedGetLogs, planMs: t1 - t0, fetchMs: Date.now() - t1 };
}

export const byId = (a: FillRow, b: FillRow) => (a.fill_id < b.fill_id ? -1 : a.fill_id > b.fill_id ? 1 : 0);
