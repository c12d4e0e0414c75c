import type { ClickHouseClient } from '@clickhouse/client';
import type { ActivityKind } from '#shared/model/ledger.ts';
import { activityEvent, fillEvent, type PositionEvent } from '#shared/positions/events.ts';
import type { ConditionSource, QuestionSource } from '#shared/positions/lookups.ts';
import type { PositionRow } from '#shared/positions/method.ts';
import { PROTOCOL_V2_EXCHANGE } from '#shared/sources/chain/events/addresses.ts';

/**
 * The reads and writes of the positions refresh. Every statement names
 * only the (asserted) database and binds its values as parameters.
 *
 * A batch is a range [lo, hi] of the sorted wallets with events in the
 * window (from, to]: every wallet in that range with window events belongs
 * to the batch, so ranges select the batch exactly and the parameters stay
 * small (a list of wallets would travel in the request's URL).
 */

export type Window = { from: number; to: number };
export type Batch = Window & { lo: string; hi: string };

/**
 * Fills of CTF tokens only: the Protocol V2 exchange trades PositionManager
 * positions, which the CTF's and NegRiskAdapter's events never touch, so the
 * method does not apply to them (docs/DATA.md).
 */
const CTF_FILLS = `exchange != '${PROTOCOL_V2_EXCHANGE}'`;
const FILLS_IN_BATCH = `maker >= {lo:String} AND maker <= {hi:String} AND block_number > {from:UInt64} AND block_number <= {to:UInt64} AND ${CTF_FILLS}`;
const ACTIVITY_IN_BATCH = `wallet >= {lo:String} AND wallet <= {hi:String} AND block_number > {from:UInt64} AND block_number <= {to:UInt64}`;

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const res = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return (await res.json()) as T[];
}

/** The block the positions are current through: the newest completed refresh, 0 before the first. */
export async function readProgress(client: ClickHouseClient, db: string): Promise<number> {
  const [row] = await rows<{ up_to: string | number }>(client, `SELECT max(up_to_block) AS up_to FROM ${db}.positions_progress`, {});
  return Number(row?.up_to ?? 0);
}

export async function writeProgress(client: ClickHouseClient, db: string, progress: { upToBlock: number; wallets: number; events: number }): Promise<void> {
  await client.insert({
    table: `${db}.positions_progress`,
    values: [{ up_to_block: progress.upToBlock, wallets: progress.wallets, events: progress.events }],
    format: 'JSONEachRow',
  });
}

/** How far a refresh of (from, up_to] that stopped early got: every wallet up to `throughWallet` is current through `upToBlock`. */
export interface PartialRefresh {
  upToBlock: number;
  throughWallet: string;
  /** Wallets and events done so far in that window. */
  wallets: number;
  events: number;
}

/** The furthest a refresh starting at `fromBlock` got before it stopped early, or null when none did. */
export async function readPartial(client: ClickHouseClient, db: string, fromBlock: number): Promise<PartialRefresh | null> {
  const [row] = await rows<{ up_to_block: string | number; through_wallet: string; wallets: string | number; events: string | number }>(
    client,
    `SELECT up_to_block, through_wallet, wallets, events FROM ${db}.positions_partial
     WHERE from_block = {from:UInt64} ORDER BY up_to_block DESC, through_wallet DESC LIMIT 1`,
    { from: fromBlock },
  );
  return row ? { upToBlock: Number(row.up_to_block), throughWallet: row.through_wallet, wallets: Number(row.wallets), events: Number(row.events) } : null;
}

export async function writePartial(client: ClickHouseClient, db: string, fromBlock: number, partial: PartialRefresh): Promise<void> {
  await client.insert({
    table: `${db}.positions_partial`,
    values: [
      {
        from_block: fromBlock,
        up_to_block: partial.upToBlock,
        through_wallet: partial.throughWallet,
        wallets: partial.wallets,
        events: partial.events,
      },
    ],
    format: 'JSONEachRow',
  });
}

/** Wallets with a chain-ordered fill (as maker) or activity in the window, after `after` (a resumed refresh), sorted. */
export async function changedWallets(client: ClickHouseClient, db: string, w: Window, after = ''): Promise<string[]> {
  const found = await rows<{ wallet: string }>(
    client,
    `SELECT wallet FROM (
       SELECT DISTINCT maker AS wallet FROM ${db}.fills
       WHERE block_number > {from:UInt64} AND block_number <= {to:UInt64} AND ${CTF_FILLS} AND maker > {after:String}
       UNION DISTINCT
       SELECT DISTINCT wallet FROM ${db}.activity WHERE block_number > {from:UInt64} AND block_number <= {to:UInt64} AND wallet > {after:String}
     ) ORDER BY wallet`,
    { ...w, after },
  );
  return found.map((r) => r.wallet);
}

/**
 * The current positions (`FINAL`: the newest version of each) the window can
 * change: a fill touches only its own token, so a wallet with fills only
 * needs those tokens; splits, merges, redemptions and conversions touch
 * several outcomes, so a wallet with activity gets all its positions. Heavy
 * wallets hold thousands of positions: reading them all made a 1% refresh
 * cost a tenth of a rebuild. The filter names the table's columns (`p.`):
 * unqualified, `token_id` is the String the SELECT makes of it, so every
 * position of the range was converted before the filter (6x slower).
 */
export async function loadPositions(client: ClickHouseClient, db: string, b: Batch): Promise<PositionRow[]> {
  const found = await rows<Omit<PositionRow, 'token_id'> & { token_hex: string; block_number: string | number }>(
    client,
    `SELECT wallet, hex(token_id) AS token_hex, toString(amount) AS amount, toString(avg_price) AS avg_price,
            toString(realized_pnl) AS realized_pnl, toString(total_bought) AS total_bought, block_number, log_index
     FROM ${db}.positions AS p FINAL
     WHERE p.wallet >= {lo:String} AND p.wallet <= {hi:String} AND (
       (p.wallet, p.token_id) IN (
         SELECT maker, if(maker_asset_id = 0, taker_asset_id, maker_asset_id) FROM ${db}.fills WHERE ${FILLS_IN_BATCH})
       OR p.wallet IN (SELECT wallet FROM ${db}.activity WHERE ${ACTIVITY_IN_BATCH}))`,
    b,
  );
  return found.map(({ token_hex, ...r }) => ({
    ...r,
    token_id: tokenIdOfHex(token_hex),
    block_number: Number(r.block_number),
    log_index: Number(r.log_index),
  }));
}

/**
 * Token ids leave the engine as hex (`hex(UInt256)`): writing the two asset
 * ids of 10 M fills as decimal text took the embedded engine 15 s, as hex
 * 1.5 s, and Node reads either as fast.
 */
const tokenIdOfHex = (hex: string): string => BigInt(`0x${hex}`).toString();

/** The conditions that the batch's splits, merges and redemptions in the window name. */
export async function loadConditions(client: ClickHouseClient, db: string, b: Batch): Promise<ConditionSource[]> {
  return rows<ConditionSource>(
    client,
    `SELECT condition_id, outcome_slot_count, oracle, arrayMap(x -> toString(x), payout_numerators) AS payout_numerators
     FROM ${db}.conditions FINAL
     WHERE condition_id IN (SELECT condition_id FROM ${db}.activity WHERE ${ACTIVITY_IN_BATCH} AND kind != 'convert')`,
    b,
  );
}

/** The questions of the NegRisk markets that the batch's conversions in the window name. */
export async function loadQuestions(client: ClickHouseClient, db: string, b: Batch): Promise<QuestionSource[]> {
  const found = await rows<QuestionSource & { block_number: string | number }>(
    client,
    `SELECT market_id, question_index, condition_id, block_number, log_index
     FROM ${db}.neg_risk_questions FINAL
     WHERE market_id IN (SELECT condition_id FROM ${db}.activity WHERE ${ACTIVITY_IN_BATCH} AND kind = 'convert')`,
    b,
  );
  return found.map((r) => ({ ...r, block_number: Number(r.block_number), log_index: Number(r.log_index) }));
}

interface EventRow {
  source: 'fill' | 'activity';
  wallet: string;
  block_number: string | number;
  log_index: string | number;
  maker_asset_id: string;
  taker_asset_id: string;
  maker_amount_filled: string;
  taker_amount_filled: string;
  kind: string;
  contract: string;
  stakeholder: string;
  collateral: string;
  condition_id: string;
  index_sets: string[];
  amounts: string[];
  amount: string;
}

function toEvent(r: EventRow): PositionEvent {
  if (r.source === 'fill') {
    return fillEvent({ ...r, maker: r.wallet, block_number: Number(r.block_number), log_index: Number(r.log_index) });
  }
  return activityEvent({ ...r, kind: r.kind as ActivityKind, block_number: Number(r.block_number), log_index: Number(r.log_index) });
}

/**
 * The batch's fills (as maker, chain-ordered) and activity in the window,
 * streamed in (wallet, block, log) order: one pass, in constant memory on a
 * server (the embedded engine buffers a result whole). Asset ids come as
 * 0x-hex (see tokenIdOfHex), which `fillEvent` reads as it reads decimals.
 */
export async function* streamEvents(client: ClickHouseClient, db: string, b: Batch): AsyncGenerator<PositionEvent> {
  const res = await client.query({
    query: `SELECT * FROM (
       SELECT 'fill' AS source, maker AS wallet, block_number, log_index,
              concat('0x', hex(maker_asset_id)) AS maker_asset_id, concat('0x', hex(taker_asset_id)) AS taker_asset_id,
              toString(maker_amount_filled) AS maker_amount_filled, toString(taker_amount_filled) AS taker_amount_filled,
              '' AS kind, '' AS contract, '' AS stakeholder, '' AS collateral, '' AS condition_id,
              CAST([], 'Array(String)') AS index_sets, CAST([], 'Array(String)') AS amounts, '0' AS amount
       FROM ${db}.fills WHERE ${FILLS_IN_BATCH}
       UNION ALL
       SELECT 'activity', wallet, block_number, log_index, '0', '0', '0', '0',
              toString(kind), toString(contract), stakeholder, toString(collateral), condition_id,
              arrayMap(x -> toString(x), index_sets), arrayMap(x -> toString(x), amounts), toString(amount)
       FROM ${db}.activity WHERE ${ACTIVITY_IN_BATCH}
     ) ORDER BY wallet, block_number, log_index`,
    query_params: b,
    format: 'JSONEachRow',
  });
  for await (const chunk of res.stream<EventRow>()) {
    for (const row of chunk) yield toEvent(row.json());
  }
}

/** `version` orders rewrites of one position: its last event's chain point. */
export const positionVersion = (row: Pick<PositionRow, 'block_number' | 'log_index'>) => row.block_number * 1_000_000 + row.log_index;

/** Whether `positions.avg_price` can hold a negative price (Int256 since migration v3; an early draft of v3 had UInt256). */
export async function avgPriceIsSigned(client: ClickHouseClient, db: string): Promise<boolean> {
  const [row] = await rows<{ type: string }>(
    client,
    `SELECT type FROM system.columns WHERE database = {db:String} AND table = 'positions' AND name = 'avg_price'`,
    { db },
  );
  return !!row && !/^(Nullable\()?UInt/.test(row.type);
}

export async function insertPositions(client: ClickHouseClient, db: string, positions: PositionRow[]): Promise<void> {
  await client.insert({
    table: `${db}.positions`,
    values: positions.map((p) => ({ ...p, version: positionVersion(p) })),
    format: 'JSONEachRow',
  });
}
