import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainSource, CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2 } from '#shared/sources/chain/index.ts';
import { ExchangeScript, randomFill, rng } from '#simulator/chain/exchange.ts';
import { startEvmNode, type EvmNode } from '#simulator/chain/node.ts';
import { startRpcFront, type RpcFront } from '#simulator/chain/rpc-front.ts';
import { byId, runSource } from '#test/support/evm/scenario.ts';

const START = 1_000n; // a test chain's own "genesis": the start block is an option
const N = 5;
let node: EvmNode;
let front: RpcFront;
let script: ExchangeScript;

beforeAll(async () => {
  node = await startEvmNode();
  front = await startRpcFront(node.url, { profile: 'public-wide', maxBlockSpan: 10_000 });
  script = new ExchangeScript(node);
  await script.install([CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2]);
  await script.mineTo(START - 3n);
  const r = rng(3);
  await script.emitFills(CTF_EXCHANGE_V2, [randomFill(r)]); // before the start block: never read
  await script.mineTo(START + 200n);
  for (let i = 0; i < 20; i++) {
    await script.emitFills(i % 2 ? CTF_EXCHANGE_V2 : NEG_RISK_EXCHANGE_V2, [randomFill(r), randomFill(r)]);
    await script.mine(7);
  }
  // The newest blocks: fills in each of the last three, not yet N deep.
  for (let i = 0; i < 3; i++) await script.emitFills(CTF_EXCHANGE_V2, [randomFill(r), randomFill(r), randomFill(r)]);
});

afterAll(async () => {
  await front?.close();
  await node?.close();
});

describe('reorg safety: never read above the safe head', () => {
  it(`with ${N} confirmations, logs above head-${N} are not returned until ${N} more blocks exist`, async () => {
    const head = await script.blockNumber();
    const all = await script.expectedRows((f) => BigInt(f.block_number) >= START);
    const deep = all.filter((f) => BigInt(f.block_number) <= head - BigInt(N));
    const shallow = all.filter((f) => BigInt(f.block_number) > head - BigInt(N));
    expect(shallow).toHaveLength(9);
    expect(deep.length).toBe(40);

    const source = createChainSource({ rpcUrl: front.url, genesisBlock: START, confirmations: N, useFinalized: false, probeSpan: 50, retryBaseDelayMs: 10 });
    expect(await source.safeHead()).toBe(head - BigInt(N));
    const first = await runSource(source, { watermark: null });
    expect(first.plan.target).toBe((head - BigInt(N)).toString());
    expect([...first.fills].sort(byId)).toEqual([...deep].sort(byId));
    expect(front.stats.maxToBlock).toBe(head - BigInt(N));

    // A shard reaching above the safe head (say, planned by a misconfigured
    // planner) is refused before any eth_getLogs goes out.
    const calls = front.stats.getLogs;
    const spec = { fromBlock: (head - BigInt(N) + 1n).toString(), toBlock: head.toString(), span: 100 };
    await expect(source.fetchPage(spec, null)).rejects.toThrow(/above the safe head/);
    expect(front.stats.getLogs).toBe(calls);
    expect(front.stats.maxToBlock).toBe(head - BigInt(N));

    // N more blocks: the shallow fills are now N deep and the next run reads them, only them.
    await script.mine(N);
    const second = await runSource(source, { watermark: first.plan.target });
    expect(second.plan.target).toBe(head.toString());
    expect([...second.fills].sort(byId)).toEqual([...shallow].sort(byId));
    expect(front.stats.maxToBlock).toBe(head);
    // And the same spec that was refused is now readable.
    const page = await source.fetchPage(spec, null);
    expect(page.records.filter((r) => r.table === 'fills')).toHaveLength(9);
  });
});
