import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEvmNode, type EvmNode } from '#simulator/chain/node.ts';
import { readSettings, SOURCE_SETTINGS } from '#shared/config.ts';
import { chainClockFromSettings, firstBlockAtTime, type HeaderReader } from '#shared/sources/chain/block-at-time.ts';

/**
 * The block that starts an instant, on a real EVM node (Hardhat's EDR):
 * an irregular stretch (bursts one second apart, gaps of minutes) and a
 * long steady one (two-second blocks, as Polygon's), checked against every
 * block's timestamp read one by one.
 */
describe('the first block at or after a time', () => {
  let node: EvmNode;
  /** timestamps[n] = block n's time, for every block mined. */
  const timestamps: number[] = [];
  let irregularEnd = 0;
  let head = 0;

  const rpc = async (method: string, params: unknown[] = []) => node.provider.request({ method, params });
  const reader = (calls: { n: number }): HeaderReader => {
    return async (block) => {
      calls.n++;
      const b = (await rpc('eth_getBlockByNumber', [`0x${block.toString(16)}`, false])) as { timestamp: string } | null;
      return b ? { timestamp: Number(b.timestamp) } : null;
    };
  };
  /** The answer by definition: the first block whose time is at or after t, in [lo, hi], else hi + 1. */
  const byScan = (lo: number, hi: number, t: number) => {
    for (let n = lo; n <= hi; n++) if (timestamps[n]! >= t) return n;
    return hi + 1;
  };

  beforeAll(async () => {
    node = await startEvmNode({ initialDate: new Date(Date.UTC(2024, 0, 1)) });
    let t = Number(((await rpc('eth_getBlockByNumber', ['latest', false])) as { timestamp: string }).timestamp);
    // Irregular: bursts of one-second blocks between gaps of up to ten minutes.
    for (let i = 0; i < 120; i++) {
      t += i % 10 === 0 ? 60 + ((i * 37) % 540) : 1 + (i % 3);
      await rpc('evm_setNextBlockTimestamp', [t]);
      await rpc('evm_mine');
    }
    irregularEnd = Number(await rpc('eth_blockNumber'));
    // Steady: 20,000 blocks two seconds apart.
    await rpc('hardhat_mine', ['0x4e20', '0x2']);
    head = Number(await rpc('eth_blockNumber'));
    for (let n = 0; n <= head; n += 1) {
      if (n > irregularEnd + 1 && n < head) {
        // The steady stretch is arithmetic: its ends are read, the middle derived (the searches below would disagree if it were not).
        timestamps[n] = timestamps[irregularEnd + 1]! + (n - irregularEnd - 1) * 2;
        continue;
      }
      const b = (await rpc('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])) as { timestamp: string };
      timestamps[n] = Number(b.timestamp);
    }
    expect(timestamps[head]).toBe(timestamps[irregularEnd + 1]! + (head - irregularEnd - 1) * 2);
  });
  afterAll(async () => {
    await node?.close();
  });

  it('finds the same block as a scan for every instant of the irregular stretch, and for instants between blocks', async () => {
    const lo = 1;
    const hi = irregularEnd;
    for (let t = timestamps[lo]! - 2; t <= timestamps[hi]! + 2; t += 7) {
      expect(await firstBlockAtTime(reader({ n: 0 }), BigInt(lo), BigInt(hi), t), `t=${t}`).toBe(BigInt(byScan(lo, hi, t)));
    }
    for (let n = lo; n <= hi; n++) {
      expect(await firstBlockAtTime(reader({ n: 0 }), BigInt(lo), BigInt(hi), timestamps[n]!)).toBe(BigInt(n));
      expect(await firstBlockAtTime(reader({ n: 0 }), BigInt(lo), BigInt(hi), timestamps[n]! + 1)).toBe(BigInt(byScan(lo, hi, timestamps[n]! + 1)));
    }
  });

  it('answers lo before the range and hi + 1 after it', async () => {
    expect(await firstBlockAtTime(reader({ n: 0 }), 5n, 50n, 0)).toBe(5n);
    expect(await firstBlockAtTime(reader({ n: 0 }), 5n, 50n, timestamps[50]! + 1)).toBe(51n);
    expect(await firstBlockAtTime(reader({ n: 0 }), 9n, 8n, timestamps[9]!)).toBe(9n);
  });

  it('takes a handful of header reads over a steady stretch of 20,000 blocks, where a bisection takes about 16', async () => {
    const lo = BigInt(irregularEnd + 1);
    const hi = BigInt(head);
    let worst = 0;
    for (let k = 1; k <= 40; k++) {
      const n = irregularEnd + 1 + Math.floor(((head - irregularEnd - 1) * k) / 41);
      for (const t of [timestamps[n]!, timestamps[n]! - 1]) {
        const calls = { n: 0 };
        expect(await firstBlockAtTime(reader(calls), lo, hi, t)).toBe(BigInt(byScan(irregularEnd + 1, head, t)));
        worst = Math.max(worst, calls.n);
      }
    }
    expect(worst).toBeLessThanOrEqual(6);
  });

  it('stays within twice a bisection on the irregular stretch', async () => {
    let worst = 0;
    for (let t = timestamps[1]!; t <= timestamps[irregularEnd]!; t += 11) {
      const calls = { n: 0 };
      await firstBlockAtTime(reader(calls), 1n, BigInt(irregularEnd), t);
      worst = Math.max(worst, calls.n);
    }
    expect(worst).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(irregularEnd)) + 2);
  });

  it("the chain clock searches between the source's first block and its safe head, through the source's own settings", async () => {
    const settings = readSettings(SOURCE_SETTINGS, {
      POLYGON_RPC_URL: node.url,
      CHAIN_GENESIS_BLOCK: '10',
      CHAIN_USE_FINALIZED: 'false',
      CHAIN_CONFIRMATIONS: '5',
    });
    const clock = chainClockFromSettings(settings);
    expect(clock.genesis).toBe(10n);
    expect(await clock.safeHead()).toBe(BigInt(head - 5));
    expect(await clock.firstBlockAt(timestamps[irregularEnd + 500]!)).toBe(BigInt(irregularEnd + 500));
    expect(await clock.firstBlockAt(0)).toBe(10n);
    // After the safe head: the block after it (nothing readable starts there yet).
    expect(await clock.firstBlockAt(timestamps[head]!)).toBe(BigInt(head - 4));
    expect(clock.requests()).toBeGreaterThan(0);
  });
});
