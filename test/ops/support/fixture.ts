import type { ClickHouseClient } from '@clickhouse/client';
import type { FillRow } from '#shared/model/fill.ts';
import { V2_EXCHANGE_ADDRESSES } from '#shared/ops/quality/eras.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';

/**
 * A small warehouse that passes every quality check: one fill every 432 s
 * (200 a day) from 2026-04-20 to 2026-05-06 12:00, V1 (subgraph) up to the
 * subgraph's last fill time and V2 (both chain exchanges) after it, four
 * tokens of two markets mapped by the registry and the CLOB list (plus one
 * mapped token that never trades), and chain pages of 1,000 blocks that
 * cover genesis..watermark exactly.
 */
export const START = Date.UTC(2026, 3, 20) / 1000;
export const END = Date.UTC(2026, 4, 6, 12) / 1000;
/** The orderbook subgraph's last fill; later fills come from the chain. */
export const SEAM = Date.UTC(2026, 3, 28, 11, 0, 40) / 1000;
export const STEP = 432;
export const GENESIS = 84_902_353n;
export const PAGE_BLOCKS = 1_000n;

const hex = (n: number | bigint, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, '0')}`;
export const CONDITIONS = [hex(0xc1, 32), hex(0xc2, 32)];
/** token i belongs to CONDITIONS[i >> 1], outcome i & 1. */
export const TOKENS = ['1111', '2222', '3333', '4444'].map((t) => `${t}${'0'.repeat(70)}`);
export const SPARE_TOKEN = `5555${'0'.repeat(70)}`;
export const UNKNOWN_TOKEN = `9999${'0'.repeat(70)}`;

/** The fills' grid points: fill k is at START + k * STEP. */
export const FILL_TIMES = Array.from({ length: Math.floor((END - START) / STEP) + 1 }, (_, k) => START + k * STEP);
const FIRST_V2 = FILL_TIMES.find((t) => t > SEAM)!;

export const blockAt = (t: number): bigint => GENESIS + BigInt(Math.floor((t - FIRST_V2) / 2));
const LAST_BLOCK = blockAt(END);
/** The last page ends at or after the last fill's block. */
export const WATERMARK = GENESIS + ((LAST_BLOCK - GENESIS) / PAGE_BLOCKS + 1n) * PAGE_BLOCKS - 1n;

export type Row = FillRow & { staged_object: string };

/** Fill k of the grid (or one at time `t` with the given token), shaped as the era's source writes it. */
export function fillAt(k: number, over: { t?: number; token?: string; staged?: string } = {}): Row {
  const t = over.t ?? START + k * STEP;
  const token = over.token ?? TOKENS[k % TOKENS.length]!;
  const tx = hex(0xa000000 + k, 32);
  const maker = hex(0x1000 + (k % 50), 20);
  const taker = hex(0x2000 + (k % 30), 20);
  const usdc = String(400_000 + (k % 100) * 1_000);
  const legs = { maker_asset_id: '0', taker_asset_id: token, maker_amount_filled: usdc, taker_amount_filled: '1000000', fee: '0' };
  const view = { token_id: token, side: 'BUY' as const, usdc_amount: usdc, token_amount: '1000000', price: Number(usdc) / 1e6 };
  if (t <= SEAM) {
    const orderHash = hex(0xb000000 + k, 32);
    return {
      fill_id: `${tx}_${orderHash}`,
      source: 'subgraph',
      exchange: '',
      block_number: 0,
      log_index: 0,
      timestamp: t,
      transaction_hash: tx,
      order_hash: orderHash,
      maker,
      taker,
      ...legs,
      ...view,
      staged_object: over.staged ?? 'staged/fixture/v1',
    };
  }
  const logIndex = k % 7;
  return {
    fill_id: `${tx}_${logIndex}`,
    source: 'chain',
    exchange: V2_EXCHANGE_ADDRESSES[k % 2]!,
    block_number: Number(blockAt(t)),
    log_index: logIndex,
    timestamp: t,
    transaction_hash: tx,
    order_hash: hex(0xb000000 + k, 32),
    maker,
    taker,
    ...legs,
    ...view,
    staged_object: over.staged ?? 'staged/fixture/v2',
  };
}

export async function insert(client: ClickHouseClient, table: string, values: object[]): Promise<void> {
  await client.insert({ table, values, format: 'JSONEachRow' });
  // As the loader does after market rows (schema version 6), so the views read what was just written.
  const [db, name] = table.split('.');
  if (name === 'markets' || name === 'token_claims') {
    const exists = await client.query({ query: `EXISTS DICTIONARY ${db}.token_markets`, format: 'JSONEachRow' });
    if (((await exists.json()) as { result: number }[])[0]?.result) await client.command({ query: `SYSTEM RELOAD DICTIONARY ${db}.token_markets` });
  }
}

export function tokenClaim(token: string, source: string, condition: string, outcome: number | null, winner: boolean | null = null) {
  return {
    token_id: token,
    source,
    condition_id: condition,
    outcome_index: outcome,
    outcome: outcome === null ? '' : outcome === 0 ? 'Yes' : 'No',
    complement_id: '',
    winner,
    exchange: '',
    block_number: 0,
    staged_object: `staged/fixture/${source}`,
  };
}

/** CONDITIONS[0] resolved to its first outcome (the CLOB list flags token 0 the winner); CONDITIONS[1] open. */
export const RESOLVED_AT = Date.UTC(2026, 4, 1) / 1000;
const conditionRows = () => [
  {
    condition_id: CONDITIONS[0],
    oracle: hex(0xee, 20),
    question_id: hex(0xd0, 32),
    outcome_slot_count: 2,
    payout_numerators: ['1', '0'],
    payout_denominator: '1',
    resolved_at: RESOLVED_AT,
    block_number: 1,
    log_index: 0,
    transaction_hash: hex(0xf0, 32),
    staged_object: 'staged/fixture/v2',
  },
  {
    condition_id: CONDITIONS[1],
    oracle: hex(0xee, 20),
    question_id: hex(0xd1, 32),
    outcome_slot_count: 2,
    payout_numerators: [],
    payout_denominator: '0',
    resolved_at: null,
    block_number: 1,
    log_index: 1,
    transaction_hash: hex(0xf1, 32),
    staged_object: 'staged/fixture/v2',
  },
];

/** Migrates `db` and fills it with the clean warehouse. */
export async function seedClean(client: ClickHouseClient, db: string): Promise<void> {
  await migrate(client, db);
  await insert(
    client,
    `${db}.fills`,
    FILL_TIMES.map((_, k) => fillAt(k)),
  );
  const winner = (i: number) => (i < 2 ? i === 0 : null);
  const claims = TOKENS.flatMap((token, i) => [
    tokenClaim(token, 'registry', CONDITIONS[i >> 1]!, i & 1),
    tokenClaim(token, 'clob', CONDITIONS[i >> 1]!, i & 1, winner(i)),
  ]);
  claims.push(tokenClaim(SPARE_TOKEN, 'registry', hex(0xc3, 32), 0));
  await insert(client, `${db}.token_claims`, claims);
  await insert(
    client,
    `${db}.markets`,
    CONDITIONS.map((c, i) => ({
      condition_id: c,
      question_id: hex(0xd0 + i, 32),
      question: `Question ${i}?`,
      slug: `question-${i}`,
      end_date: null,
      closed: false,
      neg_risk: false,
      neg_risk_market_id: '',
      staged_object: 'staged/fixture/markets',
    })),
  );
  await insert(client, `${db}.conditions`, conditionRows());
  const pages: { from_block: string; to_block: string; staged_object: string }[] = [];
  for (let from = GENESIS; from <= WATERMARK; from += PAGE_BLOCKS) {
    pages.push({ from_block: from.toString(), to_block: (from + PAGE_BLOCKS - 1n).toString(), staged_object: 'staged/fixture/v2' });
  }
  await insert(client, `${db}.chain_coverage`, pages);
}

/** A mutation that has finished when the call returns. */
export async function mutate(client: ClickHouseClient, sql: string): Promise<void> {
  await client.command({ query: sql, clickhouse_settings: { mutations_sync: '2' } });
}

/**
 * The example wallet of docs/DATA.md's queries: a split routed through a V2
 * collateral adapter (credited to the wallet on the other side), and the
 * Safe it is, created by its owner.
 */
export async function insertExampleWalletActivity(client: ClickHouseClient, db: string, wallet: string): Promise<void> {
  await insert(client, `${db}.activity`, [
    {
      event_id: `0x${'a'.repeat(64)}_3`,
      kind: 'split',
      contract: '0x4d97dcd97ec945f40cf65f87097ace5ea0476045',
      stakeholder: '0xada100874d00e3331d00f2007a9c336a65009718',
      wallet,
      collateral: '0x2791bca1f2de4661ed88a30c99a7a9449aa84174',
      condition_id: CONDITIONS[1],
      index_sets: ['1', '2'],
      amounts: [],
      amount: '2000000',
      payout: '0',
      block_number: 101,
      log_index: 3,
      timestamp: END - 7_200,
      transaction_hash: `0x${'a'.repeat(64)}`,
      staged_object: 'staged/doc/activity',
    },
  ]);
  await insert(client, `${db}.wallets`, [
    {
      proxy: wallet,
      owner: `0x${'2'.repeat(40)}`,
      kind: 'safe',
      factory: `0x${'f'.repeat(40)}`,
      block_number: 90,
      transaction_hash: `0x${'b'.repeat(64)}`,
      staged_object: 'staged/doc/wallets',
    },
  ]);
}

/** `transactions` splits, one a transaction, credited to `wallet` with `stakeholder` named by the event. */
export function activitySplits(wallet: string, transactions: number, opts: { stakeholder?: string; firstBlock?: number; tag?: number } = {}) {
  const tag = opts.tag ?? 0;
  return Array.from({ length: transactions }, (_, k) => {
    const tx = `0x${(tag * 1_000_000 + k + 1).toString(16).padStart(64, 'e')}`;
    return {
      event_id: `${tx}_1`,
      kind: 'split',
      contract: '0x4d97dcd97ec945f40cf65f87097ace5ea0476045',
      stakeholder: opts.stakeholder ?? wallet,
      wallet,
      collateral: '0x2791bca1f2de4661ed88a30c99a7a9449aa84174',
      condition_id: CONDITIONS[0],
      index_sets: ['1', '2'],
      amounts: [],
      amount: '1000000',
      payout: '0',
      block_number: (opts.firstBlock ?? 90_000_000) + k * 10,
      log_index: 1,
      timestamp: END - 86_400 + k * 20,
      transaction_hash: tx,
      staged_object: 'staged/attribution/activity',
    };
  });
}
