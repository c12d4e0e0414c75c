import type { Address, Hex } from 'viem';
import { collectionIdOf, conditionIdOf, outcomeTokenId, positionIdOf } from '#shared/model/ctf-ids.ts';
import type { ActivityRow } from '#shared/model/ledger.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import type { RpcLog } from '#shared/sources/chain/decode.ts';
import { ZERO_ADDRESS } from './addresses.ts';
import { decodeErc1155Transfer, type Erc1155Transfer } from './ctf.ts';
import { chainReject } from './log.ts';

/**
 * Since V2, splits, merges, redemptions and conversions paid in pUSD go
 * through collateral adapters (ctf-exchange-v2 src/adapters/CtfCollateralAdapter.sol,
 * NegRiskCtfCollateralAdapter.sol), so the CTF or NegRiskAdapter event names
 * the adapter. The adapter moves the positions with the CTF's
 * safeBatchTransferFrom in the same transaction: to the wallet after a split
 * (adapter → wallet), from it before a merge, redemption or conversion
 * (wallet → adapter). That transfer's other side is the real wallet.
 */

export interface AttributionConfig {
  /** The ConditionalTokens contract whose TransferSingle/TransferBatch logs are read, lower-case. */
  ctf: string;
  /** Collateral adapters, lower-case. */
  adapters: ReadonlySet<string>;
}

type ActivityRecord = Extract<StagedRecord, { table: 'activity' }>;

const isAdapterRow = (r: StagedRecord, adapters: ReadonlySet<string>): r is ActivityRecord => r.table === 'activity' && adapters.has(r.row.stakeholder);

/** Distinct transaction hashes (lower-case, first-seen order) of activity rows whose stakeholder is an adapter. */
export function adapterTransactions(records: readonly StagedRecord[], adapters: ReadonlySet<string>): string[] {
  const seen = new Set<string>();
  for (const r of records) if (isAdapterRow(r, adapters)) seen.add(r.row.transaction_hash);
  return [...seen];
}

/** Positions a row moves and, where the event says, how much of each (null: unknown). */
interface ExpectedMove {
  ids: readonly bigint[];
  values: readonly (bigint | null)[];
}

const MAX_INDEX_BITS = 256;
const UINT256_MASK = (1n << 256n) - 1n;

function expectedMove(row: ActivityRow): ExpectedMove {
  if (row.collateral === '') return { ids: [], values: [] };
  const collateral = row.collateral as Address;
  if (row.kind === 'convert') {
    // The wallet hands over the NO position of every question in the index set
    // (NegRiskCtfCollateralAdapter._buildPositionArrays); question i of the
    // market is marketId + i, its condition prepared by the NegRiskAdapter.
    const indexSet = BigInt(row.index_sets[0] ?? '0');
    const ids: bigint[] = [];
    for (let i = 0; i < MAX_INDEX_BITS; i++) {
      if ((indexSet >> BigInt(i)) & 1n) {
        const questionId = `0x${((BigInt(row.condition_id) + BigInt(i)) & UINT256_MASK).toString(16).padStart(64, '0')}` as Hex;
        ids.push(outcomeTokenId(collateral, conditionIdOf(row.contract as Address, questionId, 2), 1));
      }
    }
    return { ids, values: ids.map(() => BigInt(row.amount)) };
  }
  const ids = row.index_sets.map((s) => positionIdOf(collateral, collectionIdOf(row.condition_id as Hex, BigInt(s))));
  const values = row.index_sets.map((_, i) => {
    if (row.kind === 'split' || row.kind === 'merge') return BigInt(row.amount);
    const redeemed = row.amounts[i];
    return redeemed === undefined ? null : BigInt(redeemed);
  });
  return { ids, values };
}

/** 3: every position with the expected amount; 2: every position; 1: some; 0: none. */
function matchScore(t: Erc1155Transfer, move: ExpectedMove): number {
  const at = move.ids.map((id) => t.ids.indexOf(id));
  const found = at.filter((i) => i >= 0).length;
  if (found === 0) return 0;
  if (found < move.ids.length) return 1;
  return move.values.every((v, k) => v === null || t.values[at[k] as number] === v) ? 3 : 2;
}

/** The other side of a transfer with the adapter in the direction the row's kind implies, or null. */
function counterparty(t: Erc1155Transfer, row: ActivityRow): string | null {
  const adapter = row.stakeholder;
  const other = row.kind === 'split' ? (t.from === adapter ? t.to : null) : t.to === adapter ? t.from : null;
  return other === null || other === ZERO_ADDRESS || other === adapter ? null : other;
}

interface Choice {
  wallet: string;
  transfer: Erc1155Transfer;
}

function chooseTransfer(row: ActivityRow, transfers: readonly Erc1155Transfer[], used: ReadonlySet<Erc1155Transfer>): Choice | string {
  const candidates = transfers.flatMap((t) => {
    const wallet = counterparty(t, row);
    return wallet === null ? [] : [{ wallet, transfer: t }];
  });
  const direction = row.kind === 'split' ? 'from the adapter to a wallet' : 'from a wallet to the adapter';
  if (candidates.length === 0) return `no CTF ERC-1155 transfer ${direction} in the transaction`;

  const move = expectedMove(row);
  const scored = candidates.map((c) => ({ ...c, score: matchScore(c.transfer, move) }));
  const best = Math.max(...scored.map((c) => c.score));
  const top = scored.filter((c) => c.score === best);
  if (best >= 2) {
    const distance = (c: Choice) => Math.abs(c.transfer.logIndex - row.log_index);
    const ranked = [...top].sort(
      (a, b) => Number(used.has(a.transfer)) - Number(used.has(b.transfer)) || distance(a) - distance(b) || a.transfer.logIndex - b.transfer.logIndex,
    );
    return ranked[0] as Choice;
  }
  // Nothing carries the positions: attribute only when every candidate points at one wallet.
  const wallets = new Set(top.map((c) => c.wallet));
  if (wallets.size === 1) return top[0] as Choice;
  return `transfers ${direction} do not carry the event's positions and name ${wallets.size} different wallets`;
}

/**
 * Returns the records with each adapter row's `wallet` set to the real
 * wallet, or replaced by a reject that says why it could not be attributed.
 * Other records pass through unchanged. `receiptLogs`: every log of each
 * transaction (eth_getTransactionReceipt), keyed by transaction hash.
 */
export function attributeAdapters(
  records: readonly StagedRecord[],
  receiptLogs: ReadonlyMap<string, readonly RpcLog[]>,
  config: AttributionConfig,
): StagedRecord[] {
  const logsByTx = new Map<string, readonly RpcLog[]>();
  for (const [tx, logs] of receiptLogs) logsByTx.set(tx.toLowerCase(), logs);
  const transfersByTx = new Map<string, Erc1155Transfer[]>();
  const transfersOf = (tx: string): Erc1155Transfer[] | null => {
    const cached = transfersByTx.get(tx);
    if (cached) return cached;
    const logs = logsByTx.get(tx);
    if (!logs) return null;
    const transfers = logs.flatMap((l) => {
      if (typeof l?.address !== 'string' || l.address.toLowerCase() !== config.ctf) return [];
      const t = decodeErc1155Transfer(l);
      return typeof t === 'string' ? [] : [t];
    });
    transfersByTx.set(tx, transfers);
    return transfers;
  };

  const used = new Set<Erc1155Transfer>();
  // Rows of one transaction are matched in log order, so repeated identical moves pair up in turn.
  const order = records
    .map((r, i) => ({ r, i }))
    .filter((x): x is { r: ActivityRecord; i: number } => isAdapterRow(x.r, config.adapters))
    .sort((a, b) => a.r.row.block_number - b.r.row.block_number || a.r.row.log_index - b.r.row.log_index);
  const out = [...records];
  for (const { r, i } of order) {
    out[i] = attributeOne(r, transfersOf(r.row.transaction_hash), used);
  }
  return out;
}

function attributeOne(record: ActivityRecord, transfers: readonly Erc1155Transfer[] | null, used: Set<Erc1155Transfer>): StagedRecord {
  const row = record.row;
  const fail = (why: string) => chainReject(`cannot attribute ${row.kind} by adapter ${row.stakeholder} (${row.event_id}) to a wallet: ${why}`, row);
  try {
    if (transfers === null) return fail('no receipt logs for the transaction');
    const choice = chooseTransfer(row, transfers, used);
    if (typeof choice === 'string') return fail(choice);
    used.add(choice.transfer);
    return { table: 'activity', row: { ...row, wallet: choice.wallet } };
  } catch (err) {
    return fail(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
  }
}
