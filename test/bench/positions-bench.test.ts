import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { INSTANT_SOURCES } from './tiny.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { refreshPositions } from '#shared/positions/refresh.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { measureRefresh } from '#bench/approaches/positions.ts';
import { runBench } from '#bench/harness.ts';
import { BEGIN, END, POSITIONS_BEGIN, POSITIONS_END, checkTargets, positionsSection, writePositionsSection } from '#bench/lib/markdown.ts';
import { extendEvents, generateBase } from '#bench/lib/positions-data.ts';
import { positionsDataSpec } from '#bench/lib/positions-part.ts';
import { consoleSummary } from '#bench/lib/report.ts';

/** The positions benchmark's part at a small size: its numbers must be right; its speed is not tested. */
describe('npm run bench positions part', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pmsync-positions-bench-'));
  const client: ClickHouseClient = embeddedClient(join(dir, 'chdb'));
  afterAll(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async (query: string): Promise<number> => {
    const res = await client.query({ query, format: 'JSONEachRow' });
    const [row] = (await res.json()) as { n: string }[];
    return Number(row!.n);
  };
  const eventsInBlocks = (db: string, from: number, to: number) =>
    count(`SELECT (SELECT count() FROM ${db}.fills WHERE block_number > ${from} AND block_number <= ${to})
                + (SELECT count() FROM ${db}.activity WHERE block_number > ${from} AND block_number <= ${to}) AS n`);
  const POSITION = 'wallet, token_id, amount, avg_price, realized_pnl, total_bought, block_number, log_index';

  it('the incremental refresh reads exactly the new events and leaves the table a from-scratch refresh builds', async () => {
    const spec = positionsDataSpec({ fills: 50_000, seed: 3 });
    await migrate(client, 'pos_a');
    const base = await generateBase(client, 'pos_a', spec);
    expect(base.fills).toBe(50_000);
    expect(await count(`SELECT countIf(taker = exchange) AS n FROM pos_a.fills`)).toBe(25_000);

    const scratch = await measureRefresh(client, 'pos_a', base.lastBlock);
    expect(scratch.result.fromBlock).toBe(0);
    expect(scratch.result.events).toBe(await eventsInBlocks('pos_a', 0, base.lastBlock));
    expect(scratch.result.events).toBe(base.fills + base.activity);
    // Every activity row names a known condition, every redemption a resolved one; the exchanges' own are skipped.
    expect(scratch.result.skipped['unknown-condition']).toBe(0);
    expect(scratch.result.skipped['unresolved-condition']).toBe(0);
    expect(scratch.result.skipped['excluded-party']).toBeGreaterThan(0);

    const increment = await extendEvents(client, 'pos_a', spec, 0.01);
    expect(increment.fills).toBe(500);
    expect(increment.wallets).toBeGreaterThan(0);
    expect(increment.wallets).toBeLessThan(spec.wallets);
    const incremental = await measureRefresh(client, 'pos_a', increment.lastBlock);
    expect(incremental.result.fromBlock).toBe(base.lastBlock);
    expect(incremental.result.events).toBe(await eventsInBlocks('pos_a', base.lastBlock, increment.lastBlock));
    expect(incremental.result.events).toBe(increment.fills + increment.activity);
    expect(incremental.positionsRows).toBeGreaterThan(0);

    // Redemptions do real work: some position's last event is a redemption that realized P&L.
    expect(
      await count(`SELECT count() AS n FROM pos_a.positions AS p FINAL
        INNER JOIN (SELECT wallet, block_number, log_index FROM pos_a.activity WHERE kind = 'redeem') AS a
          ON p.wallet = a.wallet AND p.block_number = a.block_number AND p.log_index = a.log_index
        WHERE p.realized_pnl != 0`),
    ).toBeGreaterThan(0);

    await migrate(client, 'pos_b');
    for (const table of ['fills', 'activity', 'conditions']) await client.command({ query: `INSERT INTO pos_b.${table} SELECT * FROM pos_a.${table}` });
    const rebuilt = await refreshPositions(client, 'pos_b', increment.lastBlock);
    expect(rebuilt.events).toBe(scratch.result.events + incremental.result.events);
    const rows = await count(`SELECT count() AS n FROM pos_b.positions FINAL`);
    expect(rows).toBe(incremental.positionsRows);
    const differ = (x: string, y: string) =>
      count(`SELECT count() AS n FROM (SELECT ${POSITION} FROM ${x}.positions FINAL EXCEPT SELECT ${POSITION} FROM ${y}.positions FINAL)`);
    expect(await differ('pos_a', 'pos_b')).toBe(0);
    expect(await differ('pos_b', 'pos_a')).toBe(0);
  });

  it('runs as a part of npm run bench in its own processes and rewrites only its section of the document', async () => {
    const report = await runBench({
      fills: 1_000,
      seed: 5,
      topShare: 0.1,
      ...INSTANT_SOURCES,
      workers: 1,
      loaderRows: 1_000,
      incrementalShare: 0.01,
      positionsFills: 20_000,
      approaches: new Set(['positions']),
      workDir: join(dir, 'work'),
    });
    const p = report.positions!;
    expect(p.reason).toBeUndefined();
    expect(p.ok).toBe(true);
    expect(report.runs).toEqual([]);
    expect(p.fromScratch!.figures.result.events).toBe(p.base!.fills + p.base!.activity);
    expect(p.incremental!.figures.result.events).toBe(p.increment!.fills + p.increment!.activity);
    expect(p.incremental!.figures.result.fromBlock).toBe(p.fromScratch!.figures.result.upToBlock);
    expect(p.fromScratch!.memory.maxRssBytes).toBeGreaterThan(0);
    expect(p.fromScratch!.figures.positionsBytesOnDisk).toBeGreaterThan(0);
    expect(checkTargets(report).filter((t) => t.target.startsWith('positions incremental 1%'))).toHaveLength(1);
    expect(consoleSummary(report)).toContain('from scratch');

    const doc = join(dir, 'BENCHMARKS.md');
    writeFileSync(doc, `# Benchmarks\n\nby hand\n\n${BEGIN}\n\nother parts\n\n${END}\n\nmore by hand\n`);
    writePositionsSection(doc, positionsSection(report, 'npm run bench -- --only positions'));
    writePositionsSection(doc, positionsSection(report, 'npm run bench -- --only positions'));
    const text = readFileSync(doc, 'utf8');
    expect(text.split(POSITIONS_BEGIN)).toHaveLength(2);
    expect(text.indexOf(POSITIONS_END)).toBeLessThan(text.indexOf(END));
    expect(text).toContain('other parts');
    expect(text).toContain('more by hand');
  });
});
