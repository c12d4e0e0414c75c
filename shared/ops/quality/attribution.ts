import {
  CONDITIONAL_TOKENS,
  NEG_RISK_ADAPTER,
  PROTOCOL_V2_EXCHANGE,
  V1_EXCHANGES,
  V2_COLLATERAL_ADAPTERS,
  V2_EXCHANGES,
  WRAPPED_COLLATERAL,
} from '#shared/sources/chain/events/addresses.ts';
import type { CheckResult } from './types.ts';
import { fmt, isoOf, num, one, rows, unixOf, type Checked } from './sql.ts';

/** Polymarket's contracts whose own activity is theirs by design: the exchanges mint and merge, the NegRiskAdapter splits on the CTF. */
export const OWN_ACTIVITY_CONTRACTS: readonly string[] = [
  ...V1_EXCHANGES,
  ...V2_EXCHANGES,
  PROTOCOL_V2_EXCHANGE,
  NEG_RISK_ADAPTER,
  CONDITIONAL_TOKENS,
  WRAPPED_COLLATERAL,
];

/** An address credited as the wallet of activity rows, with where those rows sit on the chain. */
export interface CreditedAddress {
  address: string;
  events: number;
  transactions: number;
  firstBlock: string;
  lastBlock: string;
  first: string;
  last: string;
}

export interface AttributionDetails {
  /** Known collateral adapters credited as wallets: their users' events, misplaced. */
  adapters: CreditedAddress[];
  /** Other addresses that look like adapters: no fills, not a known proxy or Safe, activity in many transactions. */
  suspects: CreditedAddress[];
  minTransactions: number;
}

export interface AttributionOptions {
  /** Collateral adapters CHAIN_ADAPTERS names; the product's defaults are always added. */
  adapters: readonly string[];
  /** Exchanges the sync is configured with (CHAIN_EXCHANGES): their activity is their own, as OWN_ACTIVITY_CONTRACTS' is. */
  exchanges: readonly string[];
  /** How many transactions of activity make an address without fills a suspect. */
  minTransactions: number;
  examples: number;
}

interface CreditedRow {
  address: string;
  events: string;
  transactions: string;
  first_block: string;
  last_block: string;
  first: string;
  last: string;
}

const CREDITED_COLUMNS = `wallet AS address, count() AS events, uniqExact(transaction_hash) AS transactions,
  toString(min(block_number)) AS first_block, toString(max(block_number)) AS last_block, min(timestamp) AS first, max(timestamp) AS last`;

const credited = (r: CreditedRow): CreditedAddress => ({
  address: r.address,
  events: num(r.events),
  transactions: num(r.transactions),
  firstBlock: r.first_block,
  lastBlock: r.last_block,
  first: isoOf(unixOf(r.first)),
  last: isoOf(unixOf(r.last)),
});

const describe = (a: CreditedAddress): string =>
  `${a.address}: ${fmt(a.events)} events in ${fmt(a.transactions)} transactions, blocks ${a.firstBlock}..${a.lastBlock} (${a.first} to ${a.last})`;

/** Addresses without fills that are not a proxy or Safe the chain recorded, among `candidates`. */
async function withoutFillsOrWallet(w: Checked, candidates: readonly string[]): Promise<Set<string>> {
  if (candidates.length === 0) return new Set();
  // fills is sorted by maker, so looking up a few makers reads a few granules, not the table.
  const known = await rows<{ address: string }>(
    w,
    `SELECT DISTINCT maker AS address FROM ${w.db}.fills WHERE maker IN {c:Array(String)}
     UNION DISTINCT SELECT DISTINCT proxy AS address FROM ${w.db}.wallets WHERE proxy IN {c:Array(String)}`,
    { c: candidates },
  );
  const seen = new Set(known.map((r) => r.address));
  return new Set(candidates.filter((c) => !seen.has(c)));
}

/** Every collateral adapter the check knows: the product's defaults and those `configured` adds, lower-case. */
export function knownAdapters(configured: readonly string[]): string[] {
  return [...new Set([...V2_COLLATERAL_ADAPTERS, ...configured].map((a) => a.toLowerCase()))];
}

/** Activity credited to these adapters as the wallet, per adapter (a lookup by the table's key). */
export async function creditedAdapters(w: Checked, adapters: readonly string[]): Promise<CreditedAddress[]> {
  const raw = await rows<CreditedRow>(
    w,
    `SELECT ${CREDITED_COLUMNS} FROM ${w.db}.activity FINAL WHERE wallet IN {adapters:Array(String)} GROUP BY wallet ORDER BY events DESC, wallet`,
    { adapters },
  );
  return raw.map(credited);
}

export interface SuspectQuery {
  /** The known adapters (knownAdapters): never suspected, as Polymarket's own contracts are not. */
  adapters: readonly string[];
  /** Exchanges the sync is configured with (CHAIN_EXCHANGES), whose activity is their own too. */
  exchanges: readonly string[];
  minTransactions: number;
  /** Only activity at or after this block (default: all of it). */
  fromBlock?: bigint;
  limit: number;
}

/**
 * Addresses credited as their own wallet (the event named them) with activity
 * in at least `minTransactions` transactions, that never made a fill and are
 * no proxy or Safe the chain recorded, most transactions first.
 */
export async function suspectedAdapters(w: Checked, q: SuspectQuery): Promise<CreditedAddress[]> {
  const own = new Set([...q.adapters, ...OWN_ACTIVITY_CONTRACTS, ...q.exchanges.map((a) => a.toLowerCase())]);
  const window = { from: (q.fromBlock ?? 0n).toString(), min: q.minTransactions };
  // Wallet and block only, so the engine can answer from the by_block projection; events bound transactions from above.
  const busy = await rows<{ wallet: string }>(
    w,
    `SELECT wallet FROM ${w.db}.activity WHERE block_number >= {from:UInt64} GROUP BY wallet HAVING count() >= {min:UInt32}`,
    window,
  );
  const candidates = busy.map((r) => r.wallet).filter((a) => !own.has(a));
  if (candidates.length === 0) return [];
  const raw = await rows<CreditedRow>(
    w,
    `SELECT ${CREDITED_COLUMNS} FROM ${w.db}.activity FINAL
     WHERE wallet IN {c:Array(String)} AND wallet = stakeholder AND block_number >= {from:UInt64}
     GROUP BY wallet HAVING transactions >= {min:UInt32} ORDER BY transactions DESC, wallet`,
    { ...window, c: candidates },
  );
  const strangers = await withoutFillsOrWallet(
    w,
    raw.map((r) => r.address),
  );
  return raw
    .map(credited)
    .filter((c) => strangers.has(c.address))
    .slice(0, q.limit);
}

/**
 * Activity routed through a collateral adapter the sync did not see through
 * (`CHAIN_ADAPTERS`) is credited to the adapter, so its users' splits,
 * merges and redemptions, and their positions, are missing. A known adapter
 * credited as a wallet fails: a replay from its first block with the adapter
 * configured moves those events to their wallets. An unknown address that
 * never traded, is no proxy or Safe, and is credited with activity in many
 * transactions is a warning: it may be an adapter Polymarket added.
 */
export async function checkAttribution(w: Checked, opts: AttributionOptions): Promise<CheckResult<AttributionDetails>> {
  const details: AttributionDetails = { adapters: [], suspects: [], minTransactions: opts.minTransactions };
  const events = num((await one<{ n: string }>(w, `SELECT count() AS n FROM ${w.db}.activity`)).n);
  if (events === 0) return { name: 'attribution', status: 'skip', summary: 'no activity yet', details };
  const adapters = knownAdapters(opts.adapters);
  details.adapters = await creditedAdapters(w, adapters);
  details.suspects = await suspectedAdapters(w, {
    adapters,
    exchanges: opts.exchanges,
    minTransactions: opts.minTransactions,
    limit: opts.examples,
  });

  const [first] = [...details.adapters].sort((a, b) => Number(BigInt(a.firstBlock) - BigInt(b.firstBlock)));
  if (first) {
    const misplaced = details.adapters.reduce((n, a) => n + a.events, 0);
    return {
      name: 'attribution',
      status: 'fail',
      summary:
        `${fmt(misplaced)} activity events credited to ${details.adapters.length} collateral adapter(s) instead of their wallets; ` +
        `with each in CHAIN_ADAPTERS, run npm run replay -- --from ${first.firstBlock}`,
      details,
    };
  }
  if (details.suspects.length > 0) {
    return {
      name: 'attribution',
      status: 'warn',
      summary:
        `${details.suspects.length} address(es) that never traded credited with activity in ${fmt(opts.minTransactions)} or more transactions; ` +
        `if one routes for others (a new collateral adapter), add it to CHAIN_ADAPTERS and replay from its first block`,
      details,
    };
  }
  return { name: 'attribution', status: 'pass', summary: 'no activity credited to a collateral adapter or to an address that looks like one', details };
}

/** Lines for the report under a check that needs a look. */
export function attributionLines(d: AttributionDetails): string[] {
  return [...d.adapters.map((a) => `adapter ${describe(a)}`), ...d.suspects.map((a) => `never traded ${describe(a)}`)];
}
