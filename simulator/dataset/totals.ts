import { USDC_ASSET_ID, type Dataset } from './model.ts';

export interface DatasetTotals {
  count: number;
  makerAmountFilled: bigint;
  takerAmountFilled: bigint;
  fee: bigint;
  /** Sum of the USDC legs. */
  usdc: bigint;
  /** Sum of the token legs. */
  tokens: bigint;
  fillIds: Set<string>;
}

/** Counts and raw-amount sums of a dataset, for test assertions. */
export function datasetTotals(ds: Dataset): DatasetTotals {
  // Sums in Numbers while exact (short strings, flushed every 1000 rows), BigInt otherwise.
  const acc = { maker: 0n, taker: 0n, fee: 0n, usdc: 0n, tokens: 0n };
  let nm = 0;
  let nt = 0;
  let nf = 0;
  let nu = 0;
  let nk = 0;
  const flush = (): void => {
    acc.maker += BigInt(nm);
    acc.taker += BigInt(nt);
    acc.fee += BigInt(nf);
    acc.usdc += BigInt(nu);
    acc.tokens += BigInt(nk);
    nm = nt = nf = nu = nk = 0;
  };
  const fillIds = new Set<string>();
  let i = 0;
  for (const f of ds.fills) {
    const usdcIsMaker = f.makerAssetId === USDC_ASSET_ID;
    const a = f.makerAmountFilled;
    const b = f.takerAmountFilled;
    const c = f.fee;
    if (a.length <= 12 && b.length <= 12 && c.length <= 12) {
      const m = Number(a);
      const t = Number(b);
      nm += m;
      nt += t;
      nf += Number(c);
      if (usdcIsMaker) {
        nu += m;
        nk += t;
      } else {
        nu += t;
        nk += m;
      }
    } else {
      const m = BigInt(a);
      const t = BigInt(b);
      acc.maker += m;
      acc.taker += t;
      acc.fee += BigInt(c);
      acc.usdc += usdcIsMaker ? m : t;
      acc.tokens += usdcIsMaker ? t : m;
    }
    if (++i % 1000 === 0) flush();
    fillIds.add(f.id);
  }
  flush();
  return {
    count: ds.fills.length,
    makerAmountFilled: acc.maker,
    takerAmountFilled: acc.taker,
    fee: acc.fee,
    usdc: acc.usdc,
    tokens: acc.tokens,
    fillIds,
  };
}
