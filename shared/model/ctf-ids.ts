import { encodePacked, keccak256, type Address, type Hex } from 'viem';

/**
 * Identifiers of the Conditional Tokens Framework (Gnosis CTF 1.0, the
 * contract Polymarket runs on Polygon), computed as its `CTHelpers` library
 * does. Source: gnosis/conditional-tokens-contracts, contracts/CTHelpers.sol
 * (getConditionId, getCollectionId, getPositionId) and utils/id-helpers.js.
 *
 * A collection id is a point on alt_bn128 written as its x coordinate with
 * the parity of y in bit 254; for a top-level collection (parent 0, the only
 * kind Polymarket uses) that is the first x after the hash of
 * (conditionId, indexSet) whose x^3 + 3 is a square.
 */

/** The alt_bn128 field prime. */
const P = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const B = 3n;
const ODD_FLAG = 1n << 254n;

/**
 * Legendre symbol (v/P) by the binary Jacobi algorithm (quadratic reciprocity):
 * the same answer as Euler's criterion v^((P-1)/2) mod P, about five times faster
 * in BigInt arithmetic, which matters when every market's token ids are derived.
 */
function jacobiSymbol(value: bigint, modulus: bigint): number {
  let a = value % modulus;
  let n = modulus;
  let sign = 1;
  while (a !== 0n) {
    while ((a & 1n) === 0n) {
      a >>= 1n;
      const r = n & 7n;
      if (r === 3n || r === 5n) sign = -sign;
    }
    [a, n] = [n, a];
    if ((a & 3n) === 3n && (n & 3n) === 3n) sign = -sign;
    a %= n;
  }
  return n === 1n ? sign : 0;
}

const isQuadraticResidue = (v: bigint) => v === 0n || jacobiSymbol(v, P) === 1;

/** keccak256(abi.encodePacked(oracle, questionId, outcomeSlotCount)). */
export function conditionIdOf(oracle: Address, questionId: Hex, outcomeSlotCount: number | bigint): Hex {
  return keccak256(encodePacked(['address', 'bytes32', 'uint256'], [oracle, questionId, BigInt(outcomeSlotCount)]));
}

/** The collection id of one outcome set of a condition, at the top level (parentCollectionId = 0). */
export function collectionIdOf(conditionId: Hex, indexSet: number | bigint): Hex {
  const hash = BigInt(keccak256(encodePacked(['bytes32', 'uint256'], [conditionId, BigInt(indexSet)])));
  const odd = hash >> 255n !== 0n;
  let x = hash;
  do {
    x = (x + 1n) % P;
  } while (!isQuadraticResidue((x * x * x + B) % P));
  // The contract picks the y whose parity matches `odd` and flags x with y's parity, so the flag is `odd`.
  const flagged = odd ? x ^ ODD_FLAG : x;
  return `0x${flagged.toString(16).padStart(64, '0')}`;
}

/** uint256(keccak256(abi.encodePacked(collateralToken, collectionId))): the ERC-1155 id of a position. */
export function positionIdOf(collateral: Address, collectionId: Hex): bigint {
  return BigInt(keccak256(encodePacked(['address', 'bytes32'], [collateral, collectionId])));
}

/** The token id of outcome `outcomeIndex` of a condition held against `collateral` (index set 1 << outcomeIndex). */
export function outcomeTokenId(collateral: Address, conditionId: Hex, outcomeIndex: number): bigint {
  return positionIdOf(collateral, collectionIdOf(conditionId, 1n << BigInt(outcomeIndex)));
}

/** Token ids of every outcome of a condition with `outcomeSlotCount` slots, in outcome order. */
export function outcomeTokenIds(collateral: Address, conditionId: Hex, outcomeSlotCount = 2): bigint[] {
  return Array.from({ length: outcomeSlotCount }, (_, i) => outcomeTokenId(collateral, conditionId, i));
}
