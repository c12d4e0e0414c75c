import type { Migration } from './migrations.ts';

/**
 * Version 9: `activity` accepts a lightweight DELETE. A replay that finds an
 * event loaded under another wallet (the collateral adapters changed since:
 * see replayed-activity.ts) deletes the old row before the new one goes in.
 * The table has a projection (`by_block`), and ClickHouse refuses such a
 * delete unless the table says how its projections follow one: rebuilt, as
 * `fills`, `markets` and `token_claims` already do.
 */
export const MIGRATION_V9: Migration = {
  version: 9,
  name: 'activity: deletes rebuild its projection, so a replay can correct an attribution',
  statements: (db) => [`ALTER TABLE ${db}.activity MODIFY SETTING lightweight_mutation_projection_mode = 'rebuild'`],
};
