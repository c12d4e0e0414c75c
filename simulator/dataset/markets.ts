/** Generated markets: a question, a slug and the real CTF position ids of the condition's two outcomes. */
import type { Hex } from 'viem';
import { outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import { USDC_E, WRAPPED_COLLATERAL } from '#shared/sources/chain/events/addresses.ts';
import type { Rng } from '#simulator/rng.ts';
import type { SimMarket } from './model.ts';

const SUBJECTS = [
  'Bitcoin',
  'Ethereum',
  'the Fed',
  'Trump',
  'Biden',
  'Harris',
  'SpaceX',
  'OpenAI',
  'Apple',
  'Tesla',
  'the Lakers',
  'the Chiefs',
  'Real Madrid',
  'Argentina',
  'France',
  'the UK',
  'China',
  'Nvidia',
  'Solana',
  'Taylor Swift',
];
const PREDICATES = [
  'reach a new all-time high',
  'win',
  'cut rates',
  'announce a merger',
  'be above $100k',
  'launch a new product',
  'win the championship',
  'hold an election',
  'publish the report',
  'lose the case',
  'top the chart',
  'ship GPT-6',
];

export function iso(ts: number): string {
  return new Date(ts * 1000).toISOString();
}

function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function makeMarket(rng: Rng, index: number, negRiskId: string): SimMarket {
  const subject = rng.pick(SUBJECTS);
  const predicate = rng.pick(PREDICATES);
  const question = `Will ${subject} ${predicate} (#${index})?`;
  const conditionId = rng.hexString(32);
  const negRisk = negRiskId !== '';
  const [yes, no] = outcomeTokenIds(negRisk ? WRAPPED_COLLATERAL : USDC_E, conditionId as Hex);
  return {
    conditionId,
    questionId: rng.hexString(32),
    question,
    slug: slugify(question),
    endDateIso: null,
    closed: false,
    active: true,
    negRisk,
    negRiskMarketId: negRiskId,
    tokens: [
      { tokenId: String(yes), outcome: 'Yes' },
      { tokenId: String(no), outcome: 'No' },
    ],
  };
}

export function makeMarkets(rng: Rng, count: number, firstIndex: number, negRiskShare: number): SimMarket[] {
  const out: SimMarket[] = [];
  let group = '';
  let groupLeft = 0;
  for (let i = 0; i < count; i++) {
    let negId = '';
    if (groupLeft > 0) {
      negId = group;
      groupLeft--;
    } else if (rng.chance(negRiskShare / 3)) {
      // a neg-risk event of 2..6 markets sharing one neg_risk_market_id
      group = rng.hexString(32);
      groupLeft = rng.range(1, 5);
      negId = group;
    }
    out.push(makeMarket(rng, firstIndex + i, negId));
  }
  return out;
}
