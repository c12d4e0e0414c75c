import {
  concat,
  encodeFunctionData,
  encodePacked,
  getCreate2Address,
  keccak256,
  pad,
  parseAbi,
  parseAbiItem,
  toEventSelector,
  type Address,
  type Hex,
} from 'viem';
import { walletRowSchema, type WalletRow } from '#shared/model/ledger.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import type { RpcLog } from '#shared/sources/chain/decode.ts';
import { chainReject, decodeArgs, guarded, logPosition, stageRow, type LogPosition } from './log.ts';

/**
 * Polymarket proxy wallets and Safes, and the account behind each, from logs
 * alone (docs/CONTRACTS.md, "Proxy wallets", says what this covers and what it
 * cannot). Two kinds, two records:
 *
 * - Safe: Polymarket's SafeProxyFactory emits `ProxyCreation(proxy, owner)`,
 *   both in one log. Source: Polymarket/proxy-factories
 *   packages/safe-factory/contracts/SafeProxyFactory.sol.
 * - Proxy wallet: ProxyWalletFactory emits nothing. Its wallets are reached
 *   through the GSN RelayHub, whose `TransactionRelayed(relay, from, to, ...)`
 *   names the signer (`from`) of every relayed call to the factory (`to`); the
 *   wallet address is the factory's CREATE2 address for that signer. This is
 *   what Polymarket's own wallet-subgraph does (Polymarket/polymarket-subgraph
 *   wallet-subgraph/src/RelayHub.ts).
 *
 * Neither needs a second log of the transaction, so there is nothing to pair.
 */

/** Polymarket's Gnosis Safe factory (Polymarket/proxy-factories README; polymarket-subgraph networks.yaml matic.SafeProxyFactory). */
export const POLYMARKET_SAFE_FACTORY: Address = '0xaacfeea03eb1561c4e67d661e40682bd20e3541b';
/** Deployment block of the Safe factory (networks.yaml, tx 0xddcfc612…dfe5f). */
export const SAFE_FACTORY_START_BLOCK = 19_426_226n;

/** Polymarket's proxy wallet factory (Polymarket/proxy-factories README; networks.yaml matic.ProxyWalletFactory). */
export const POLYMARKET_PROXY_FACTORY: Address = '0xab45c5a4b0c941a2f231c04c3f49182e1a254052';
/** The wallet implementation every proxy clones (networks.yaml matic.ProxyWalletImplementation, same deployment tx as the factory). */
export const PROXY_WALLET_IMPLEMENTATION: Address = '0x44e999d5c2f66ef0861317f9a4805ac2e90aeb4f';
/** Deployment block of the proxy factory and its implementation (networks.yaml, tx 0xda92d529…b4d99): no proxy wallet is older. */
export const PROXY_FACTORY_START_BLOCK = 4_022_827n;

/** The GSN v1 RelayHub singleton the proxy factory accepts relayed calls from (networks.yaml matic.RelayHub, deployed at block 3,764,531). */
export const GSN_RELAY_HUB: Address = '0xd216153c06e857cd7f72665e0af1d7d82172f494';

/** SafeProxyFactory.sol: neither field is indexed, so both sit in `data`. */
export const SAFE_PROXY_CREATION_EVENT = parseAbiItem('event ProxyCreation(address proxy, address owner)');
export const SAFE_PROXY_CREATION_TOPIC = toEventSelector(SAFE_PROXY_CREATION_EVENT);

/**
 * GSN v1 IRelayHub (verified RelayHub source at this address; the status enum
 * is a uint8 in the ABI, OK = 0). wallet-subgraph's manifest declares the same shape.
 */
export const RELAY_HUB_TRANSACTION_RELAYED_EVENT = parseAbiItem(
  'event TransactionRelayed(address indexed relay, address indexed from, address indexed to, bytes4 selector, uint8 status, uint256 charge)',
);
export const RELAY_HUB_TRANSACTION_RELAYED_TOPIC = toEventSelector(RELAY_HUB_TRANSACTION_RELAYED_EVENT);
/** RelayCallStatus.OK: the relayed call ran; any other status reverted it, and with it any wallet creation. */
const RELAYED_CALL_OK = 0;

/** One contract and event the sync reads for wallets, and from which block. */
export interface WalletLogSource {
  address: Address;
  topic0: Hex;
  fromBlock: bigint;
  /**
   * An optional third-topic filter: relayed calls whose recipient is the proxy
   * factory. A shared filter may leave it out; the decoder checks it anyway.
   */
  topic3?: Hex;
}

export const WALLET_LOG_SOURCES: readonly WalletLogSource[] = [
  { address: POLYMARKET_SAFE_FACTORY, topic0: SAFE_PROXY_CREATION_TOPIC, fromBlock: SAFE_FACTORY_START_BLOCK },
  {
    address: GSN_RELAY_HUB,
    topic0: RELAY_HUB_TRANSACTION_RELAYED_TOPIC,
    fromBlock: PROXY_FACTORY_START_BLOCK,
    topic3: pad(POLYMARKET_PROXY_FACTORY),
  },
];

/**
 * Creation code of a proxy wallet: the minimal clone ProxyWalletLib /
 * FactoryLib.computeCreationCode lays out (deployer and target spliced into
 * fixed bytes), followed by the `cloneConstructor(bytes)` call with empty bytes.
 */
function proxyWalletCreationCode(factory: Address, implementation: Address): Hex {
  const cloneConstructorCall = encodeFunctionData({
    abi: parseAbi(['function cloneConstructor(bytes)']),
    functionName: 'cloneConstructor',
    args: ['0x'],
  });
  return concat([
    '0x3d3d606380380380913d393d73',
    factory,
    '0x5af4602a57600080fd5b602d8060366000396000f3363d3d373d3d3d363d73',
    implementation,
    '0x5af43d82803e903d91602b57fd5bf3',
    cloneConstructorCall,
  ]);
}

const initCodeHashes = new Map<string, Hex>();

/** keccak256 of a proxy wallet's creation code for a factory and implementation. */
export function proxyWalletInitCodeHash(factory: Address = POLYMARKET_PROXY_FACTORY, implementation: Address = PROXY_WALLET_IMPLEMENTATION): Hex {
  const key = `${factory}:${implementation}`.toLowerCase();
  let hash = initCodeHashes.get(key);
  if (hash === undefined) {
    hash = keccak256(proxyWalletCreationCode(factory, implementation));
    initCodeHashes.set(key, hash);
  }
  return hash;
}

/**
 * The proxy wallet the factory creates for `owner`, lower-case: CREATE2 with
 * salt keccak256(abi.encodePacked(owner)) (ProxyWalletFactory.makeWallet).
 */
export function proxyWalletAddress(
  owner: Address,
  factory: Address = POLYMARKET_PROXY_FACTORY,
  implementation: Address = PROXY_WALLET_IMPLEMENTATION,
): Address {
  return getCreate2Address({
    from: factory,
    salt: keccak256(encodePacked(['address'], [owner])),
    bytecodeHash: proxyWalletInitCodeHash(factory, implementation),
  }).toLowerCase() as Address;
}

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

function walletRecord(log: RpcLog, pos: LogPosition, fields: Pick<WalletRow, 'proxy' | 'owner' | 'kind' | 'factory'>): StagedRecord {
  return stageRow('wallets', walletRowSchema, { ...fields, block_number: pos.blockNumber, transaction_hash: pos.transactionHash }, log);
}

function safeCreation(log: RpcLog, pos: LogPosition): StagedRecord[] {
  const args = decodeArgs(SAFE_PROXY_CREATION_EVENT, log);
  if (typeof args === 'string') return [chainReject(args, log)];
  const proxy = args.proxy.toLowerCase();
  const owner = args.owner.toLowerCase();
  if (proxy === ZERO_ADDRESS || owner === ZERO_ADDRESS) return [chainReject('ProxyCreation names the zero address', log)];
  return [walletRecord(log, pos, { proxy, owner, kind: 'safe', factory: POLYMARKET_SAFE_FACTORY })];
}

function relayedCall(log: RpcLog, pos: LogPosition): StagedRecord[] {
  const args = decodeArgs(RELAY_HUB_TRANSACTION_RELAYED_EVENT, log);
  if (typeof args === 'string') return [chainReject(args, log)];
  // Relayed calls to other recipients, and reverted ones, are sound logs that say nothing about a Polymarket wallet.
  if (args.to.toLowerCase() !== POLYMARKET_PROXY_FACTORY || args.status !== RELAYED_CALL_OK) return [];
  const owner = args.from.toLowerCase() as Address;
  if (owner === ZERO_ADDRESS) return [chainReject('TransactionRelayed names the zero address as signer', log)];
  return [walletRecord(log, pos, { proxy: proxyWalletAddress(owner), owner, kind: 'proxy', factory: POLYMARKET_PROXY_FACTORY })];
}

/**
 * A wallet log → `wallets` rows: one for a Safe creation or for a successful
 * relayed call to the proxy factory, none for any other relayed call, and a
 * reject for a log that is malformed or not from a wallet source at all (an
 * identical `ProxyCreation` topic from another factory is not Polymarket's).
 * Never throws.
 */
export function decodeWalletLog(log: RpcLog): StagedRecord[] {
  return guarded(log, () => {
    const pos = logPosition(log);
    if (typeof pos === 'string') return [chainReject(pos, log)];
    const topic0 = Array.isArray(log.topics) && typeof log.topics[0] === 'string' ? log.topics[0].toLowerCase() : '';
    if (pos.address === POLYMARKET_SAFE_FACTORY && topic0 === SAFE_PROXY_CREATION_TOPIC) return safeCreation(log, pos);
    if (pos.address === GSN_RELAY_HUB && topic0 === RELAY_HUB_TRANSACTION_RELAYED_TOPIC) return relayedCall(log, pos);
    return [chainReject(`not a wallet log: topic0 ${topic0 || 'missing'} from ${pos.address}`, log)];
  });
}

/**
 * Keeps one `wallets` row per proxy, the earliest by block (relayed calls
 * repeat the same mapping many times a page); every other record passes
 * through in order. Rows for one proxy agree on everything but where they were seen.
 */
export function earliestWalletPerProxy(records: readonly StagedRecord[]): StagedRecord[] {
  const earliest = new Map<string, number>();
  records.forEach((record, i) => {
    if (record.table !== 'wallets') return;
    const seen = earliest.get(record.row.proxy);
    const prior = seen === undefined ? undefined : records[seen];
    if (prior === undefined || (prior.table === 'wallets' && record.row.block_number < prior.row.block_number)) earliest.set(record.row.proxy, i);
  });
  const keep = new Set(earliest.values());
  return records.filter((record, i) => record.table !== 'wallets' || keep.has(i));
}
