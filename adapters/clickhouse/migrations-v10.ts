import type { Migration } from './migrations.ts';

/**
 * Version 10: `activity.index_set`, the name the table contract gives the
 * event's index sets, beside `index_sets`, which the table has had since
 * version 1 and which queries already use. An ALIAS column: it stores
 * nothing, `SELECT *` does not show it, and inserts never name it.
 */
export const MIGRATION_V10: Migration = {
  version: 10,
  name: 'activity.index_set: the contract name of index_sets, as an alias',
  statements: (db) => [`ALTER TABLE ${db}.activity ADD COLUMN IF NOT EXISTS index_set Array(UInt256) ALIAS index_sets AFTER index_sets`],
};
