import type { Address } from 'viem';
import type { EraContext } from './bulk.ts';
import { convertLogs, mergeLogs, redeemLogs, splitLogs, transferLogs } from './flows.ts';
import type { WorldLog } from './logs.ts';
import { addQuestion, openNegRiskMarket, openStandardMarket, registerLogs, resolveLogs, threeOutcomeConditionLogs } from './markets.ts';
import { actors, buyByMint, negRiskPayouts, sellTo, sh, showcaseSlots, trade, type Showcase } from './showcase.ts';
import type { NegRiskEvent, WorldMarket } from './state.ts';
import { directFillLogs } from './trades.ts';

/** Positions the V1 showcase leaves for the V2 one: wallets active in both eras. */
export interface V1Carry {
  /** Holds YES of a market resolved in V1 and has not redeemed it. */
  unredeemed: { wallet: Address; market: WorldMarket };
  /** Holds NO of a V1 market that never resolves. */
  open: { wallet: Address; market: WorldMarket };
}

const ROLES = ['a', 'a2', 'b', 'c', 'd', 'e', 'f', 'g1', 'g2', 'g3', 'g4', 'h', 'x'] as const;

/**
 * V1 traps (direct calls, V1 exchanges, registered tokens):
 * - a splits, sells one side with fees on both orders, merges the rest, redeems the winner;
 * - b buys and sells one token in one transaction; c in one block, two transactions;
 * - one maker order (x) filled twice in one transaction;
 * - d sells tokens it got by a plain transfer (more than its fills and splits gave it);
 * - f trades through the operator's fillOrder (no taker-order fill);
 * - NegRisk conversions with k = 1, 2, N of N = 4, then a fifth question and k = 3 of 5;
 * - resolutions [1,0], [1,1], [0,1], a NegRisk market, a three-outcome condition; one market never resolves;
 * - winning and losing redemptions, standard and NegRisk (h holds only the losing side).
 */
export function v1Showcase(c: EraContext, slots: number): { showcase: Showcase; carry: V1Carry } {
  const { s } = c;
  const at = showcaseSlots(slots);
  const w = actors(c, ROLES);
  const counterparties = () => [s.rng.pick(c.wallets), s.rng.pick(c.wallets)].filter((x, i, all) => all.indexOf(x) === i);
  let m1!: WorldMarket, m2!: WorldMarket, m3!: WorldMarket, m4!: WorldMarket, ev!: NegRiskEvent;
  const three = threeOutcomeConditionLogs(s);
  const carry = {} as V1Carry;

  const setup = (t: number): WorldLog[][] => {
    const std = [0, 1, 2, 3].map(() => openStandardMarket(s, 'v1', t));
    [m1, m2, m3, m4] = std.map((x) => x.market) as [WorldMarket, WorldMarket, WorldMarket, WorldMarket];
    const neg = openNegRiskMarket(s, 'v1', t, 4);
    ev = neg.event;
    for (const m of [...std.map((x) => x.market), ...ev.questions]) s.reserved.add(m);
    return [[...std.flatMap((x) => [...x.logs, ...registerLogs(x.market)]), ...neg.logs, ...ev.questions.flatMap(registerLogs), ...three.prepare]];
  };

  const trades = (): WorldLog[][] => {
    const x = s.hex32();
    return [
      splitLogs(s, 'direct', w.a, m1, sh(100)),
      splitLogs(s, 'direct', w.a2, m2, sh(30)),
      trade(c, sellTo(c, m1, 0, w.a, sh(40), counterparties(), true)),
      [...trade(c, buyByMint(c, m1, 0, w.b, [{ wallet: w.h, tokens: sh(30) }])), ...trade(c, sellTo(c, m1, 0, w.b, sh(20), counterparties()))],
      trade(c, buyByMint(c, m3, 0, w.c, [{ wallet: s.rng.pick(c.wallets), tokens: sh(25) }])),
      trade(c, sellTo(c, m3, 0, w.c, sh(25), counterparties())),
      trade(
        c,
        buyByMint(c, m4, 0, s.rng.pick(c.wallets), [
          { wallet: w.x, tokens: sh(10), orderHash: x },
          { wallet: w.x, tokens: sh(15), orderHash: x },
        ]),
      ),
      [...splitLogs(s, 'direct', w.e, m4, sh(60)), ...transferLogs(s, w.e, w.d, m4.tokens[0], sh(50))],
      trade(c, sellTo(c, m4, 0, w.d, sh(45), counterparties())),
      directFillLogs(s, m3, 0, { wallet: w.f, tokens: sh(10), priceMilli: 300n, fee: 0n }, true),
    ];
  };

  const splitQuestions = (wallet: Address, indexes: number[], amount: bigint): WorldLog[] =>
    indexes.flatMap((i) => splitLogs(s, 'direct', wallet, ev.questions[i] as WorldMarket, amount));

  const activity = (): WorldLog[][] => [
    mergeLogs(s, 'direct', w.a, m1, sh(50)),
    splitQuestions(w.g1, [0], sh(20)),
    convertLogs(s, 'direct', w.g1, ev, 0b0001n, sh(20)),
    splitQuestions(w.g2, [0, 1], sh(20)),
    convertLogs(s, 'direct', w.g2, ev, 0b0011n, sh(20)),
    splitQuestions(w.g3, [0, 1, 2, 3], sh(10)),
    convertLogs(s, 'direct', w.g3, ev, 0b1111n, sh(10)),
  ];

  const lateQuestion = (t: number): WorldLog[][] => {
    const q = addQuestion(s, ev, 'v1', t);
    s.reserved.add(q.market);
    return [[...q.logs, ...registerLogs(q.market)], splitQuestions(w.g4, [0, 1, 2], sh(10)), convertLogs(s, 'direct', w.g4, ev, 0b00111n, sh(10))];
  };

  const resolve = (t: number): WorldLog[][] => [
    [
      ...resolveLogs(m1, [1n, 0n], t),
      ...resolveLogs(m2, [1n, 1n], t),
      ...resolveLogs(m3, [0n, 1n], t),
      ...ev.questions.flatMap((q, i) => resolveLogs(q, negRiskPayouts(i, 1), t)),
      ...three.resolve,
    ],
  ];

  const redeem = (): WorldLog[][] => {
    carry.unredeemed = { wallet: w.b, market: m1 };
    carry.open = { wallet: w.e, market: m4 };
    return [
      redeemLogs(s, 'direct', w.a, m1).logs,
      redeemLogs(s, 'direct', w.h, m1).logs,
      redeemLogs(s, 'direct', w.a2, m2).logs,
      [...redeemLogs(s, 'direct', w.g1, ev.questions[1] as WorldMarket).logs, ...redeemLogs(s, 'direct', w.g1, ev.questions[2] as WorldMarket).logs],
    ];
  };

  const showcase: Showcase = {
    early(slot, t) {
      if (slot === at.setup) return setup(t);
      if (slot === at.trades) return trades();
      if (slot === at.activity) return activity();
      if (slot === at.lateQuestion) return lateQuestion(t);
      if (slot === at.redeem) return redeem();
      return [];
    },
    late: (slot, t) => (slot === at.resolve ? resolve(t) : []),
  };
  return { showcase, carry };
}
