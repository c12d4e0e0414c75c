import { describe, expect, it } from 'vitest';
import { decimalUint256, deriveMakerView, priceOf, UINT256_MAX } from '#shared/model/fill.ts';

describe('decimalUint256', () => {
  it.each(['12abc', 'not-a-number', '-5', '1.5', '', '01', ' 1'])('refuses %j with a reason instead of throwing', (value) => {
    const r = decimalUint256.safeParse(value);
    expect(r.success).toBe(false);
  });
  it('accepts 0, 77-digit ids and uint256 max, refuses one more', () => {
    expect(decimalUint256.safeParse('0').success).toBe(true);
    expect(decimalUint256.safeParse('7'.repeat(77)).success).toBe(true);
    expect(decimalUint256.safeParse(UINT256_MAX.toString()).success).toBe(true);
    expect(decimalUint256.safeParse((UINT256_MAX + 1n).toString()).success).toBe(false);
  });
});

describe("the maker's view of a fill", () => {
  const token = '71321045679252212594626385532706912750332728571942532289631379312455583992563';
  it('is a BUY when the maker pays USDC', () => {
    expect(deriveMakerView({ makerAssetId: '0', takerAssetId: token, makerAmountFilled: '400000', takerAmountFilled: '1000000' })).toEqual({
      side: 'BUY',
      token_id: token,
      usdc_amount: '400000',
      token_amount: '1000000',
      price: 0.4,
    });
  });
  it('is a SELL when the maker gives tokens', () => {
    expect(deriveMakerView({ makerAssetId: token, takerAssetId: '0', makerAmountFilled: '2000000', takerAmountFilled: '1400000' })).toEqual({
      side: 'SELL',
      token_id: token,
      usdc_amount: '1400000',
      token_amount: '2000000',
      price: 0.7,
    });
  });
  it('names the problem when there is no USDC leg or two', () => {
    expect(deriveMakerView({ makerAssetId: token, takerAssetId: token, makerAmountFilled: '1', takerAmountFilled: '1' })).toMatch(/neither leg/);
    expect(deriveMakerView({ makerAssetId: '0', takerAssetId: '0', makerAmountFilled: '1', takerAmountFilled: '1' })).toMatch(/both legs/);
  });
  it('prices without floating point in the amounts, and zero tokens as price 0', () => {
    expect(priceOf(333_333n, 1_000_000n)).toBeCloseTo(0.333333, 9);
    expect(priceOf(5n, 0n)).toBe(0);
  });
});
