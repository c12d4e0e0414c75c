import type { ActivityRow } from '#shared/model/ledger.ts';

/** A split of event number `i`: its own transaction and block, one of five wallets. */
export function sampleActivity(i: number, over: Partial<ActivityRow> = {}): ActivityRow {
  return {
    event_id: `0x${i.toString(16).padStart(64, '0')}_${i % 7}`,
    kind: 'split',
    contract: `0x${'c'.repeat(40)}`,
    stakeholder: `0x${'a'.repeat(40)}`,
    wallet: `0x${(i % 5).toString(16).padStart(40, '0')}`,
    collateral: '',
    condition_id: `0x${'d'.repeat(64)}`,
    index_sets: ['1', '2'],
    amounts: [],
    amount: '1000000',
    payout: '0',
    block_number: 50_000_000 + i,
    log_index: i % 7,
    timestamp: 1_700_000_000 + i,
    transaction_hash: `0x${i.toString(16).padStart(64, '0')}`,
    ...over,
  };
}
