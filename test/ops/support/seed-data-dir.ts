/**
 * Prepares a local data directory the way `npm run sync` leaves one (chDB
 * under <dir>/clickhouse, database `polymarket`) with the clean fixture, or
 * with one page of chain blocks never read. Run as its own process: chDB
 * binds one data directory per process.
 *
 *   tsx test/ops/support/seed-data-dir.ts <dir> clean|skipped-range
 */
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { GENESIS, PAGE_BLOCKS, insertExampleWalletActivity, mutate, seedClean } from './fixture.ts';

const [dir, scenario] = process.argv.slice(2);
if (!dir || (scenario !== 'clean' && scenario !== 'skipped-range')) throw new Error('usage: seed-data-dir.ts <dir> clean|skipped-range');
const client = embeddedClient(dir);
try {
  await seedClean(client, 'polymarket');
  // One split seen through a collateral adapter, so the attribution check has activity to pass.
  await insertExampleWalletActivity(client, 'polymarket', `0x${'5'.repeat(40)}`);
  if (scenario === 'skipped-range') await mutate(client, `ALTER TABLE polymarket.chain_coverage DELETE WHERE from_block = ${GENESIS + 7n * PAGE_BLOCKS}`);
} finally {
  await client.close();
}
