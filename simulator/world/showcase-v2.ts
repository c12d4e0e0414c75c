import type { EraContext } from './bulk.ts';
import { convertLogs, mergeLogs, redeemLogs, splitLogs, transferLogs } from './flows.ts';
import type { WorldLog } from './logs.ts';
import { openNegRiskMarket, openStandardMarket, resolveLogs } from './markets.ts';
import { actors, buyByMint, negRiskPayouts, sellTo, sh, showcaseSlots, trade, type Showcase } from './showcase.ts';
import type { V1Carry } from './showcase-v1.ts';
import type { NegRiskEvent, WorldMarket } from './state.ts';

const ROLES = ['a', 'b', 'c', 'd', 'e', 'g5', 'g6', 'h', 'x'] as const;

/**
 * V2 traps (V2 exchanges, no token registry, pUSD activity through the
 * collateral adapters, whose events name the adapter instead of the wallet):
 * - a splits through the adapter, sells one side with fees, merges through the adapter, redeems the winner;
 * - b buys and sells one token in one transaction; c in one block; x's order filled twice in one transaction;
 * - d sells positions it got by a plain transfer;
 * - MINT matches: the exchange splits through the adapter, so the adapter's transfer names the exchange;
 * - conversions through the adapter (k = 1, 2 of N = 3), two adapter flows in one transaction;
 * - wallets of V1: one sells a V1 market's position on a V2 exchange, one redeems in V2 what resolved in V1;
 * - winning and losing redemptions through both adapters (h, and g5 on question 0, hold only the losing side).
 */
export function v2Showcase(c: EraContext, slots: number, carry: V1Carry): Showcase {
  const { s } = c;
  const at = showcaseSlots(slots);
  const w = actors(c, ROLES);
  const counterparties = () => [s.rng.pick(c.wallets), s.rng.pick(c.wallets)].filter((x, i, all) => all.indexOf(x) === i);
  let n1!: WorldMarket, n2!: WorldMarket, ev!: NegRiskEvent;

  const setup = (t: number): WorldLog[][] => {
    const a = openStandardMarket(s, 'v2', t);
    const b = openStandardMarket(s, 'v2', t);
    const neg = openNegRiskMarket(s, 'v2', t, 3);
    [n1, n2, ev] = [a.market, b.market, neg.event];
    for (const m of [n1, n2, ...ev.questions]) s.reserved.add(m);
    return [[...a.logs, ...b.logs, ...neg.logs]];
  };

  const trades = (): WorldLog[][] => {
    const x = s.hex32();
    return [
      splitLogs(s, 'adapter', w.a, n1, sh(80)),
      trade(c, sellTo(c, n1, 0, w.a, sh(30), [w.h, s.rng.pick(c.wallets)], true)),
      [
        ...trade(c, buyByMint(c, n2, 0, w.b, [{ wallet: s.rng.pick(c.wallets), tokens: sh(20) }])),
        ...trade(c, sellTo(c, n2, 0, w.b, sh(10), counterparties())),
      ],
      trade(c, buyByMint(c, n1, 0, w.c, [{ wallet: s.rng.pick(c.wallets), tokens: sh(12) }])),
      trade(c, sellTo(c, n1, 0, w.c, sh(12), counterparties())),
      trade(
        c,
        buyByMint(c, n2, 1, s.rng.pick(c.wallets), [
          { wallet: w.x, tokens: sh(7), orderHash: x },
          { wallet: w.x, tokens: sh(9), orderHash: x },
        ]),
      ),
      [...splitLogs(s, 'adapter', w.e, n2, sh(40)), ...transferLogs(s, w.e, w.d, n2.tokens[0], sh(30))],
      trade(c, sellTo(c, n2, 0, w.d, sh(25), counterparties())),
      trade(c, sellTo(c, carry.open.market, 1, carry.open.wallet, sh(50), counterparties())),
    ];
  };

  const activity = (): WorldLog[][] => {
    const q = (i: number) => ev.questions[i] as WorldMarket;
    return [
      mergeLogs(s, 'adapter', w.a, n1, sh(20)),
      [...splitLogs(s, 'adapter', w.g5, q(0), sh(15)), ...splitLogs(s, 'adapter', w.g5, q(1), sh(15))],
      convertLogs(s, 'adapter', w.g5, ev, 0b01n, sh(15)),
      [...splitLogs(s, 'adapter', w.g6, q(0), sh(10)), ...splitLogs(s, 'adapter', w.g6, q(1), sh(10))],
      convertLogs(s, 'adapter', w.g6, ev, 0b11n, sh(10)),
    ];
  };

  const resolve = (t: number): WorldLog[][] => [[...resolveLogs(n1, [0n, 1n], t), ...ev.questions.flatMap((q, i) => resolveLogs(q, negRiskPayouts(i, 2), t))]];

  const redeem = (): WorldLog[][] => {
    const q = (i: number) => ev.questions[i] as WorldMarket;
    return [
      redeemLogs(s, 'adapter', w.a, n1).logs,
      redeemLogs(s, 'adapter', w.h, n1).logs,
      redeemLogs(s, 'adapter', carry.unredeemed.wallet, carry.unredeemed.market).logs,
      [...redeemLogs(s, 'adapter', w.g5, q(0)).logs, ...redeemLogs(s, 'adapter', w.g5, q(2)).logs],
      redeemLogs(s, 'adapter', w.g6, q(2)).logs,
    ];
  };

  return {
    early(slot, t) {
      if (slot === at.setup) return setup(t);
      if (slot === at.trades) return trades();
      if (slot === at.activity) return activity();
      if (slot === at.redeem) return redeem();
      return [];
    },
    late: (slot, t) => (slot === at.resolve ? resolve(t) : []),
  };
}
