/** Generated fills: transactions of one to five fills, interleaved in time, with an optional burst at one timestamp. */
import { CTF_EXCHANGE_V1, NEG_RISK_EXCHANGE_V1 } from '#shared/sources/chain/events/addresses.ts';
import type { Rng } from '#simulator/rng.ts';
import { USDC_ASSET_ID, type BurstInfo, type Dataset } from './model.ts';

export function wallets(rng: Rng, n: number): string[] {
  const out: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = rng.hexString(20);
  return out;
}

export interface EmitContext {
  rng: Rng;
  ds: Dataset;
  /** fills per market index (0 for markets without new fills) */
  counts: Int32Array;
  start: number;
  end: number;
  burstSize: number;
  /** market index the burst should favour, or -1 */
  burstMarket: number;
  walletPool: string[];
}

/** Appends fills for `counts` to ds.fills, in timestamp order, all within [start, end]. */
export function emitFills(ctx: EmitContext): BurstInfo | null {
  const { rng, ds, counts, start, end, walletPool } = ctx;
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] ?? 0;
  // 1. split each market's fills into transactions of 1..5 fills
  const groupMarket = new Int32Array(total);
  const groupSize = new Uint8Array(total);
  let g = 0;
  for (let m = 0; m < counts.length; m++) {
    let left = counts[m] ?? 0;
    while (left > 0) {
      const size = rng.chance(0.55) ? 1 : Math.min(left, rng.range(2, 5));
      groupMarket[g] = m;
      groupSize[g] = size;
      g++;
      left -= size;
    }
  }
  const groups = g;
  // 2. interleave transactions in time (Fisher-Yates over group order)
  const order = new Int32Array(groups);
  for (let i = 0; i < groups; i++) order[i] = i;
  for (let i = groups - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  // 3. the burst: a run of consecutive transactions given one timestamp,
  //    most of them swapped in from the favoured market
  let burstFrom = -1;
  let burstTo = -1;
  if (ctx.burstSize > 0 && groups > 0) {
    burstFrom = Math.floor(groups * (0.35 + 0.3 * rng.float()));
    let heavy = groups - 1;
    let sum = 0;
    let p = burstFrom;
    for (; p < groups && sum < ctx.burstSize; p++) {
      if (ctx.burstMarket >= 0 && groupMarket[order[p]!] !== ctx.burstMarket && rng.chance(0.8)) {
        while (heavy > p && groupMarket[order[heavy]!] !== ctx.burstMarket) heavy--;
        if (heavy > p) {
          const t = order[p]!;
          order[p] = order[heavy]!;
          order[heavy] = t;
          heavy--;
        }
      }
      sum += groupSize[order[p]!]!;
    }
    burstTo = p - 1;
  }
  // 4. timestamps: sorted draws, denser towards the end (volume grew over time)
  const times = new Float64Array(groups);
  const span = end - start;
  for (let i = 0; i < groups; i++) times[i] = start + Math.floor(span * Math.sqrt(rng.float()));
  times.sort();
  if (burstFrom >= 0) for (let i = burstFrom; i <= burstTo; i++) times[i] = times[burstFrom]!;
  // 5. the fills
  const nWallets = walletPool.length;
  const walletIndex = (): number => Math.floor(nWallets * Math.pow(rng.float(), 3));
  const fills = ds.fills;
  const markets = ds.markets;
  // id = tx + '_' + orderHash, built in one buffer so every string is flat
  const idBuf = Buffer.alloc(133);
  idBuf.write('0x', 0, 'latin1');
  idBuf.write('_0x', 66, 'latin1');
  for (let i = 0; i < groups; i++) {
    const grp = order[i]!;
    const market = markets[groupMarket[grp]!]!;
    const size = groupSize[grp]!;
    const ts = times[i]!;
    rng.hexInto(idBuf, 2, 32);
    const tx = idBuf.toString('latin1', 0, 66);
    const takerIndex = walletIndex();
    const takerWallet = walletPool[takerIndex]!;
    const exchange = market.negRisk ? NEG_RISK_EXCHANGE_V1 : CTF_EXCHANGE_V1;
    for (let k = 0; k < size; k++) {
      const ownOrder = size > 1 && k === size - 1;
      let makerIndex = ownOrder ? takerIndex : walletIndex();
      if (makerIndex === takerIndex && !ownOrder) makerIndex = (makerIndex + 1) % nWallets;
      const token = market.tokens[rng.int(2)]!.tokenId;
      const buy = rng.chance(0.5);
      const priceMilli = 10 + rng.int(981); // 0.010 .. 0.990
      const tokens = Math.max(1, Math.floor(Math.exp(rng.float() * Math.log(500_000)))) * 10_000; // 0.01 .. 5000 shares
      const usdc = Math.max(1, Math.round((tokens * priceMilli) / 1000));
      const fee = rng.chance(0.85) ? '0' : String(Math.max(1, Math.round(usdc * 0.001 * rng.range(1, 20))));
      rng.hexInto(idBuf, 69, 32);
      const usdcStr = String(usdc);
      const tokStr = String(tokens);
      fills.push({
        id: idBuf.toString('latin1', 0, 133),
        transactionHash: tx,
        timestamp: ts,
        orderHash: idBuf.toString('latin1', 67, 133),
        maker: walletPool[makerIndex]!,
        taker: ownOrder ? exchange : takerWallet,
        makerAssetId: buy ? USDC_ASSET_ID : token,
        takerAssetId: buy ? token : USDC_ASSET_ID,
        makerAmountFilled: buy ? usdcStr : tokStr,
        takerAmountFilled: buy ? tokStr : usdcStr,
        fee,
      });
    }
  }
  if (burstFrom < 0) return null;
  const bts = times[burstFrom]!;
  let size = 0;
  for (let i = 0; i < groups; i++) if (times[i] === bts) size += groupSize[order[i]!]!;
  const favoured = ctx.burstMarket >= 0 ? ctx.burstMarket : groupMarket[order[burstFrom]!]!;
  return { timestamp: bts, size, conditionId: markets[favoured]!.conditionId };
}
