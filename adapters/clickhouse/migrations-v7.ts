import type { Migration } from './migrations.ts';

/**
 * Version 7: `positions_partial`, how far a positions refresh that ran out
 * of its time budget got. A refresh of a whole history (hundreds of millions
 * of events) takes longer than one loader invocation may run; each one now
 * stops between two batches of wallets, writes the last wallet it finished,
 * and the next one resumes after it, for the same window of blocks.
 */
export const MIGRATION_V7: Migration = {
  version: 7,
  name: 'positions_partial: where a positions refresh cut short by its time budget resumes',
  statements: (db) => [
    `CREATE TABLE IF NOT EXISTS ${db}.positions_partial
    (
      from_block UInt64,
      up_to_block UInt64,
      through_wallet String,
      wallets UInt64,
      events UInt64,
      written_at DateTime64(3, 'UTC') DEFAULT now64(3)
    )
    ENGINE = MergeTree
    ORDER BY (from_block, up_to_block, through_wallet)`,
  ],
};
