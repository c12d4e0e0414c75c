import type { Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { collectionIdOf, conditionIdOf, outcomeTokenId, outcomeTokenIds, positionIdOf } from '#shared/model/ctf-ids.ts';

/**
 * Expected ids come from Polymarket's own tests of its subgraph id helpers,
 * repository Polymarket/polymarket-subgraph:
 * - tests/getPositionId.test.ts: the two CLOB token ids of a standard market
 *   (collateral USDC.e, networks.yaml matic USDC) and of a NegRisk market
 *   (collateral NegRiskWrappedCollateral);
 * - tests/computePositionId.test.ts: an explicit collateral;
 * - tests/getNegRiskPositionId.test.ts: NegRisk market id + question index →
 *   question id → condition prepared by the NegRiskAdapter (oracle = adapter,
 *   2 slots) → position ids.
 */
const USDC_E = '0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174';
const WRAPPED_COLLATERAL = '0x3A3BD7bb9528E159577F7C2e685CC81A765002E2';
const NEG_RISK_ADAPTER = '0xd91E80cF2E7be2e162c6513ceD06f1dD0dA35296';

const ids = (xs: bigint[]) => xs.map(String);

describe('CTF ids against Polymarket test vectors', () => {
  it('standard market: outcomeTokenIds(USDC.e, conditionId) are its two token ids', () => {
    expect(ids(outcomeTokenIds(USDC_E, '0xfc690d5069b296bb9278af0cba42c02666e0999e4a4009ed97ea4a885f045457'))).toEqual([
      '73716170047628147940237270507900673332129573201293655532643868111690843426372',
      '2890213445014127424511466931609154310536269586265875141655148162320150952197',
    ]);
  });

  it('NegRisk market: the same under WrappedCollateral', () => {
    expect(ids(outcomeTokenIds(WRAPPED_COLLATERAL, '0xbf5ba08b3a0c4dd741f00759282e38e9bfa9ad59aa623ed13d26a8786c1e5afc'))).toEqual([
      '84121562275746951169805992721206824933074826856805500029198362509460400440947',
      '6492254133524731704185750998715576231739345323060925006131340263114065023619',
    ]);
  });

  it('any collateral: positionIdOf(collateral, collectionIdOf(condition, 1 << i))', () => {
    const condition = '0xda558eddf6eb57760bd5371fb313167f871d823a16e9d66fccb292baf2a117c0';
    const collateral = '0x7D1DC38E60930664F8cBF495dA6556ca091d2F92';
    expect(positionIdOf(collateral, collectionIdOf(condition, 1)).toString()).toBe(
      '108051088633899060239124498527429950692254744883563327407154880807410490438693',
    );
    expect(positionIdOf(collateral, collectionIdOf(condition, 2)).toString()).toBe(
      '45163082656174410071592939534766820181648934703824597457997612898109272294349',
    );
    expect(outcomeTokenId(collateral, condition, 1)).toBe(positionIdOf(collateral, collectionIdOf(condition, 2)));
  });

  const negRisk: [market: string, index: number, yes: string, no: string][] = [
    [
      '0xcc4727a6394620b9c8ae82db3db50a34d5ca9828675547bcc4cddf5e86b63000',
      7,
      '96833685517457790753237027711749956491556223430098771101130535462280443103710',
      '112683192116716745370273337699109698649408967993699289993927321945615517688893',
    ],
    [
      '0x904aa321a48f737e2223e7b3007bf51d68b6a0d66bdda0c1e4bc581f55d62800',
      4,
      '11031149734538275426690039809123992018327740438980973428241361937177748285493',
      '92849115097658926029726616555072992123532598747617388960074918380114146610948',
    ],
    [
      '0x904aa321a48f737e2223e7b3007bf51d68b6a0d66bdda0c1e4bc581f55d62800',
      3,
      '92934986068759649975171712359405804888500621431140776758674716227798619042594',
      '83272680118121060051327450493118657102857345150945269348505485036103238138715',
    ],
    [
      '0x5e596465dca57c10c8b175f901974e2de2877498410b0210d0a21b57e14da000',
      4,
      '30637845681714148498359907433169105263223689440526909041094893305583115580796',
      '111796127100720291855951404495290728144208289103084969375425640210971192620108',
    ],
  ];

  it.each(negRisk)('NegRisk question %s #%i: condition = conditionIdOf(NegRiskAdapter, questionId, 2)', (market, index, yes, no) => {
    const questionId = `${market.slice(0, 64)}${index.toString(16).padStart(2, '0')}` as Hex;
    expect(ids(outcomeTokenIds(WRAPPED_COLLATERAL, conditionIdOf(NEG_RISK_ADAPTER, questionId, 2)))).toEqual([yes, no]);
  });

  it('ids change with every input (the helpers do not ignore an argument)', () => {
    const condition = '0xfc690d5069b296bb9278af0cba42c02666e0999e4a4009ed97ea4a885f045457';
    expect(outcomeTokenId(USDC_E, condition, 0)).not.toBe(outcomeTokenId(WRAPPED_COLLATERAL, condition, 0));
    expect(conditionIdOf(NEG_RISK_ADAPTER, condition, 2)).not.toBe(conditionIdOf(NEG_RISK_ADAPTER, condition, 3));
    expect(outcomeTokenIds(USDC_E, condition, 3)).toHaveLength(3);
  });
});
