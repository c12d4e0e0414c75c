import type { Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { conditionIdOf, outcomeTokenId, outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import type { RpcLog } from '#shared/sources/chain/decode.ts';
import { createEventCatalogue } from '#shared/sources/chain/events/index.ts';
import { ADDR, makeLog, SIG, TIME } from './support.ts';

// Collateral adapters as the ctf-exchange-v2 README lists them; the catalogue takes them as configuration.
const CTF_ADAPTER = '0xada100874d00e3331d00f2007a9c336a65009718';
const NR_ADAPTER = '0xada200001000ef00d07553cee7006808f895c6f1';
const WALLET = '0x1111111111111111111111111111111111111111';
const OTHER = '0x2222222222222222222222222222222222222222';
const ZERO = '0x0000000000000000000000000000000000000000';
const ZERO32 = `0x${'00'.repeat(32)}`;
const BURN = '0xc3ea1fb5b2e07ab9a3e1f8e9e4e8c5a57e0f1a11';
const CONDITION = `0x${'c3'.repeat(32)}` as Hex;
const CONDITION_B = `0x${'c4'.repeat(32)}` as Hex;

const catalogue = createEventCatalogue({ v1Fills: false, adapters: [CTF_ADAPTER, NR_ADAPTER.toUpperCase().replace('0X', '0x')] });

let txCounter = 0;
function tx() {
  const hash = `0x${(++txCounter).toString(16).padStart(64, '0')}`;
  const at = (i: number) => ({ transactionHash: hash, logIndex: `0x${i.toString(16)}` });
  return { hash, at };
}

const batch = (at: object, operator: string, from: string, to: string, ids: readonly bigint[], values: readonly bigint[], contract: string = ADDR.ctf) =>
  makeLog(SIG.transferBatch, contract, { operator, from, to, ids, values }, at);

function decodeAll(logs: RpcLog[]): StagedRecord[] {
  return logs.flatMap((l) => catalogue.decode(l, TIME));
}

const walletOf = (records: StagedRecord[]) =>
  records.map((r) => (r.table === 'activity' ? r.row.wallet : `reject: ${r.table === 'rejects' ? r.row.reason : r.table}`));

describe('collateral adapter attribution', () => {
  it('CtfCollateralAdapter split: the wallet is who the adapter sends the positions to', () => {
    const t = tx();
    const ids = outcomeTokenIds(ADDR.usdce, CONDITION);
    const receipt = [
      batch(t.at(1), CTF_ADAPTER, ZERO, CTF_ADAPTER, ids, [5n, 5n]), // the CTF mints to the adapter
      makeLog(
        SIG.ctfSplit,
        ADDR.ctf,
        { stakeholder: CTF_ADAPTER, collateralToken: ADDR.usdce, parentCollectionId: ZERO32, conditionId: CONDITION, partition: [1n, 2n], amount: 5n },
        t.at(2),
      ),
      batch(t.at(3), CTF_ADAPTER, CTF_ADAPTER, WALLET, ids, [5n, 5n]),
    ];
    const records = decodeAll([receipt[1] as RpcLog]);
    expect(catalogue.adapterTransactions(records)).toEqual([t.hash]);
    const [row] = catalogue.attributeAdapters(records, new Map([[t.hash, receipt]]));
    expect(row).toEqual({ table: 'activity', row: { ...(records[0]?.row as object), wallet: WALLET } });
    expect(row?.table === 'activity' && row.row.stakeholder).toBe(CTF_ADAPTER);
  });

  it('CTF merge and redeem: the wallet is who sends the positions to the adapter (redeem amounts are balances)', () => {
    const t = tx();
    const ids = outcomeTokenIds(ADDR.usdce, CONDITION);
    const receipt = [
      batch(t.at(1), CTF_ADAPTER, WALLET, CTF_ADAPTER, ids, [4n, 4n]),
      makeLog(
        SIG.ctfMerge,
        ADDR.ctf,
        { stakeholder: CTF_ADAPTER, collateralToken: ADDR.usdce, parentCollectionId: ZERO32, conditionId: CONDITION, partition: [1n, 2n], amount: 4n },
        t.at(2),
      ),
      batch(t.at(3), CTF_ADAPTER, OTHER, CTF_ADAPTER, ids, [7n, 0n]),
      makeLog(
        SIG.ctfRedeem,
        ADDR.ctf,
        { redeemer: CTF_ADAPTER, collateralToken: ADDR.usdce, parentCollectionId: ZERO32, conditionId: CONDITION, indexSets: [1n, 2n], payout: 7n },
        t.at(4),
      ),
    ];
    const records = decodeAll([receipt[1] as RpcLog, receipt[3] as RpcLog]);
    expect(walletOf(catalogue.attributeAdapters(records, new Map([[t.hash, receipt]])))).toEqual([WALLET, OTHER]);
  });

  it('NegRisk split through NegRiskCtfCollateralAdapter: skips the adapter-to-adapter hop', () => {
    const t = tx();
    const ids = outcomeTokenIds(ADDR.wcol, CONDITION);
    const receipt = [
      batch(t.at(1), ADDR.negRiskAdapter, ZERO, ADDR.negRiskAdapter, ids, [9n, 9n]),
      batch(t.at(2), ADDR.negRiskAdapter, ADDR.negRiskAdapter, NR_ADAPTER, ids, [9n, 9n]),
      makeLog(SIG.nrSplit, ADDR.negRiskAdapter, { stakeholder: NR_ADAPTER, conditionId: CONDITION, amount: 9n }, t.at(3)),
      batch(t.at(4), NR_ADAPTER, NR_ADAPTER, WALLET, ids, [9n, 9n]),
    ];
    const records = decodeAll([receipt[2] as RpcLog]);
    expect(walletOf(catalogue.attributeAdapters(records, new Map([[t.hash, receipt]])))).toEqual([WALLET]);
  });

  it('NegRisk redeem: matches the event ids and amounts over nearer decoys', () => {
    const t = tx();
    const ids = outcomeTokenIds(ADDR.wcol, CONDITION);
    const receipt = [
      batch(t.at(1), NR_ADAPTER, WALLET, NR_ADAPTER, ids, [3n, 0n]),
      batch(t.at(2), NR_ADAPTER, OTHER, NR_ADAPTER, ids, [2n, 0n]),
      batch(t.at(3), NR_ADAPTER, OTHER, NR_ADAPTER, outcomeTokenIds(ADDR.wcol, CONDITION_B), [3n, 0n]),
      makeLog(SIG.nrRedeem, ADDR.negRiskAdapter, { redeemer: NR_ADAPTER, conditionId: CONDITION, amounts: [3n, 0n], payout: 3n }, t.at(4)),
    ];
    const records = decodeAll([receipt[3] as RpcLog]);
    expect(walletOf(catalogue.attributeAdapters(records, new Map([[t.hash, receipt]])))).toEqual([WALLET]);
  });

  it('conversion: the wallet that hands over the NO positions, not the adapter sending YES back', () => {
    const t = tx();
    const marketId = `0x${'5e'.repeat(31)}00`;
    const question = (i: number) => `0x${'5e'.repeat(31)}${i.toString(16).padStart(2, '0')}` as Hex;
    const no = (i: number) => outcomeTokenId(ADDR.wcol, conditionIdOf(ADDR.negRiskAdapter, question(i), 2), 1);
    const yes = (i: number) => outcomeTokenId(ADDR.wcol, conditionIdOf(ADDR.negRiskAdapter, question(i), 2), 0);
    const receipt = [
      batch(t.at(1), NR_ADAPTER, WALLET, NR_ADAPTER, [no(0), no(2)], [6n, 6n]),
      batch(t.at(2), ADDR.negRiskAdapter, NR_ADAPTER, BURN, [no(0), no(2)], [6n, 6n]),
      batch(t.at(3), ADDR.negRiskAdapter, ADDR.negRiskAdapter, NR_ADAPTER, [yes(1)], [6n]),
      makeLog(SIG.nrConverted, ADDR.negRiskAdapter, { stakeholder: NR_ADAPTER, marketId, indexSet: 0b101n, amount: 6n }, t.at(4)),
      batch(t.at(5), NR_ADAPTER, NR_ADAPTER, WALLET, [yes(1)], [6n]),
    ];
    const records = decodeAll([receipt[3] as RpcLog]);
    expect(walletOf(catalogue.attributeAdapters(records, new Map([[t.hash, receipt]])))).toEqual([WALLET]);
  });

  it('two merges in one transaction pair with their own transfers by position ids', () => {
    const t = tx();
    const a = outcomeTokenIds(ADDR.usdce, CONDITION);
    const b = outcomeTokenIds(ADDR.usdce, CONDITION_B);
    const merge = (condition: Hex, i: number) =>
      makeLog(
        SIG.ctfMerge,
        ADDR.ctf,
        { stakeholder: CTF_ADAPTER, collateralToken: ADDR.usdce, parentCollectionId: ZERO32, conditionId: condition, partition: [1n, 2n], amount: 2n },
        t.at(i),
      );
    const receipt = [
      batch(t.at(1), CTF_ADAPTER, OTHER, CTF_ADAPTER, b, [2n, 2n]),
      batch(t.at(2), CTF_ADAPTER, WALLET, CTF_ADAPTER, a, [2n, 2n]),
      merge(CONDITION_B, 3),
      merge(CONDITION, 4),
    ];
    const records = decodeAll([receipt[2] as RpcLog, receipt[3] as RpcLog]);
    expect(walletOf(catalogue.attributeAdapters(records, new Map([[t.hash, receipt]])))).toEqual([OTHER, WALLET]);
  });

  it('falls back to the only wallet in the right direction when no transfer carries the positions', () => {
    const t = tx();
    const receipt = [
      batch(t.at(1), CTF_ADAPTER, CTF_ADAPTER, WALLET, [1n, 2n], [5n, 5n]),
      makeLog(
        SIG.ctfSplit,
        ADDR.ctf,
        { stakeholder: CTF_ADAPTER, collateralToken: ADDR.usdce, parentCollectionId: ZERO32, conditionId: CONDITION, partition: [1n, 2n], amount: 5n },
        t.at(2),
      ),
    ];
    expect(walletOf(catalogue.attributeAdapters(decodeAll([receipt[1] as RpcLog]), new Map([[t.hash, receipt]])))).toEqual([WALLET]);
  });

  it('rejects what it cannot attribute, naming why; other records pass through', () => {
    const t = tx();
    const split = makeLog(
      SIG.ctfSplit,
      ADDR.ctf,
      { stakeholder: CTF_ADAPTER, collateralToken: ADDR.usdce, parentCollectionId: ZERO32, conditionId: CONDITION, partition: [1n, 2n], amount: 5n },
      t.at(2),
    );
    const plain = makeLog(
      SIG.ctfSplit,
      ADDR.ctf,
      { stakeholder: WALLET, collateralToken: ADDR.usdce, parentCollectionId: ZERO32, conditionId: CONDITION, partition: [1n, 2n], amount: 5n },
      t.at(3),
    );
    const records = decodeAll([split, plain]);
    expect(catalogue.adapterTransactions(records)).toEqual([t.hash]);

    const [noReceipt, untouched] = walletOf(catalogue.attributeAdapters(records, new Map()));
    expect(noReceipt).toMatch(/^reject: cannot attribute split by adapter 0xada1.*: no receipt logs for the transaction/);
    expect(untouched).toBe(WALLET);

    const wrongWay = [batch(t.at(1), CTF_ADAPTER, WALLET, CTF_ADAPTER, [1n], [5n])];
    expect(walletOf(catalogue.attributeAdapters(records, new Map([[t.hash, wrongWay]])))[0]).toMatch(/no CTF ERC-1155 transfer from the adapter to a wallet/);

    const elsewhere = [batch(t.at(1), CTF_ADAPTER, CTF_ADAPTER, WALLET, outcomeTokenIds(ADDR.usdce, CONDITION), [5n, 5n], OTHER)];
    expect(walletOf(catalogue.attributeAdapters(records, new Map([[t.hash, elsewhere]])))[0]).toMatch(/no CTF ERC-1155 transfer/);

    const ambiguous = [batch(t.at(1), CTF_ADAPTER, CTF_ADAPTER, WALLET, [1n], [5n]), batch(t.at(4), CTF_ADAPTER, CTF_ADAPTER, OTHER, [2n], [5n])];
    expect(walletOf(catalogue.attributeAdapters(records, new Map([[t.hash, ambiguous]])))[0]).toMatch(/name 2 different wallets/);
  });

  it('leaves the input records untouched and looks receipts up case-insensitively', () => {
    const t = tx();
    const ids = outcomeTokenIds(ADDR.usdce, CONDITION);
    const receipt = [
      makeLog(
        SIG.ctfSplit,
        ADDR.ctf,
        { stakeholder: CTF_ADAPTER, collateralToken: ADDR.usdce, parentCollectionId: ZERO32, conditionId: CONDITION, partition: [1n, 2n], amount: 1n },
        t.at(1),
      ),
      batch(t.at(2), CTF_ADAPTER, CTF_ADAPTER, WALLET, ids, [1n, 1n]),
    ];
    const records = decodeAll([receipt[0] as RpcLog]);
    const before = JSON.stringify(records);
    const out = catalogue.attributeAdapters(records, new Map([[t.hash.toUpperCase().replace('0X', '0x'), receipt]]));
    expect(walletOf(out)).toEqual([WALLET]);
    expect(JSON.stringify(records)).toBe(before);
  });
});
