import { concat, encodeAbiParameters, getAddress, getContractAddress, keccak256, pad, toFunctionSelector, toHex, type Address, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { type RpcLog } from '#shared/sources/chain/decode.ts';
import { stagedRecordSchema, type StagedRecord } from '#shared/model/staged.ts';
import {
  decodeWalletLog,
  earliestWalletPerProxy,
  proxyWalletAddress,
  proxyWalletInitCodeHash,
  WALLET_LOG_SOURCES,
} from '#shared/sources/chain/events/wallets.ts';

// Written out here from the contracts, not imported: Polymarket/proxy-factories
// SafeProxyFactory.sol and the GSN v1 IRelayHub.
const PROXY_CREATION_SIGNATURE = 'ProxyCreation(address,address)';
const TRANSACTION_RELAYED_SIGNATURE = 'TransactionRelayed(address,address,address,bytes4,uint8,uint256)';
const topicOf = (signature: string): Hex => keccak256(toHex(signature));

const SAFE_FACTORY = getAddress('0xaacfeea03eb1561c4e67d661e40682bd20e3541b');
const PROXY_FACTORY = getAddress('0xab45c5a4b0c941a2f231c04c3f49182e1a254052');
const PROXY_IMPLEMENTATION = getAddress('0x44e999d5c2f66ef0861317f9a4805ac2e90aeb4f');
const RELAY_HUB = getAddress('0xd216153c06e857cd7f72665e0af1d7d82172f494');
/** The canonical Gnosis Safe ProxyFactory 1.3.0: same `ProxyCreation(address,address)` topic, second word is the singleton. */
const GNOSIS_PROXY_FACTORY = getAddress('0xa6b71e26c5e0845f74c812102ca7114b6a896ab2');
/** Published by Polymarket/builder-relayer-client src/constants (PROXY_INIT_CODE_HASH) and polymarket-v2-external docs/exchange.md. */
const PUBLISHED_PROXY_INIT_CODE_HASH = '0xd21df8dc65880a8606f09fe0ce3df9b8869287ab0b058be05aa9e8af6330a00b';

const OWNER = getAddress('0x00000000000000000000000000000000000a11ce');
const SAFE = getAddress('0x5afe00000000000000000000000000000000babe');
const RELAY = getAddress('0x7db63fe6d62eb73fb01f8009416f4c2bb4fbda6a');
const TX = `0x${'ab'.repeat(32)}` as Hex;

function rpcLog(address: Address, topics: Hex[], data: Hex, over: Partial<RpcLog> = {}): RpcLog {
  return { address, topics, data, blockNumber: '0x1286d92', blockHash: `0x${'99'.repeat(32)}`, transactionHash: TX, logIndex: '0x7', ...over };
}

function proxyCreation(from: Address, proxy: Address, owner: Address, over: Partial<RpcLog> = {}): RpcLog {
  return rpcLog(from, [topicOf(PROXY_CREATION_SIGNATURE)], encodeAbiParameters([{ type: 'address' }, { type: 'address' }], [proxy, owner]), over);
}

function transactionRelayed(signer: Address, recipient: Address, status: number, over: Partial<RpcLog> = {}): RpcLog {
  const proxySelector = toFunctionSelector('proxy((uint8,address,uint256,bytes)[])');
  return rpcLog(
    RELAY_HUB,
    [topicOf(TRANSACTION_RELAYED_SIGNATURE), pad(RELAY), pad(signer), pad(recipient)],
    encodeAbiParameters([{ type: 'bytes4' }, { type: 'uint8' }, { type: 'uint256' }], [proxySelector, status, 123_456n]),
    over,
  );
}

/**
 * The proxy's creation code rebuilt from ProxyWalletLib.computeCreationCode's
 * layout by hand (not through the module), then CREATE2 with salt
 * keccak256(abi.encodePacked(owner)).
 */
function independentProxyAddress(owner: Address, factory: Address, implementation: Address): Address {
  const cloneConstructor = concat([toFunctionSelector('cloneConstructor(bytes)'), pad('0x20'), pad('0x00')]);
  const bytecode = concat([
    '0x3d3d606380380380913d393d73',
    factory,
    '0x5af4602a57600080fd5b602d8060366000396000f3363d3d373d3d3d363d73',
    implementation,
    '0x5af43d82803e903d91602b57fd5bf3',
    cloneConstructor,
  ]);
  return getContractAddress({ opcode: 'CREATE2', from: factory, salt: keccak256(owner), bytecode });
}

const rejectReason = (records: StagedRecord[]): string => {
  expect(records).toHaveLength(1);
  const [record] = records;
  if (record?.table !== 'rejects') throw new Error(`expected a reject, got ${JSON.stringify(record)}`);
  return record.row.reason;
};

describe('wallet log sources', () => {
  it('name the Safe factory and the RelayHub with topic0s of the written-out signatures', () => {
    expect(WALLET_LOG_SOURCES.map((s) => [getAddress(s.address), s.topic0, s.fromBlock])).toEqual([
      [SAFE_FACTORY, topicOf(PROXY_CREATION_SIGNATURE), 19_426_226n],
      [RELAY_HUB, topicOf(TRANSACTION_RELAYED_SIGNATURE), 4_022_827n],
    ]);
    expect(WALLET_LOG_SOURCES[1]?.topic3).toBe(pad(PROXY_FACTORY).toLowerCase());
  });
});

describe('proxy wallet address', () => {
  it('has the init code hash Polymarket publishes for the Polygon factory', () => {
    expect(proxyWalletInitCodeHash()).toBe(PUBLISHED_PROXY_INIT_CODE_HASH);
  });

  it("matches polymarket-subgraph's own test vector (tests/computeProxyWalletAddress.test.ts)", () => {
    const address = proxyWalletAddress(
      getAddress('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'),
      getAddress('0xEcA1c266193F03d28517a500007738adfb7754d8'),
      getAddress('0x7d5330Fe12E75B5B775036cC1ba39EE546bD3850'),
    );
    expect(address).toBe('0x03cacd9b90edf7e440227faea044e566247a8635');
  });

  it('equals an independent CREATE2 computation for the Polygon factory', () => {
    for (const owner of [OWNER, getAddress('0xffffffffffffffffffffffffffffffffffffffff'), RELAY]) {
      expect(proxyWalletAddress(owner)).toBe(independentProxyAddress(owner, PROXY_FACTORY, PROXY_IMPLEMENTATION).toLowerCase());
    }
  });
});

describe('decodeWalletLog', () => {
  it('Safe ProxyCreation: one safe row, proxy and owner from the data, position from the log', () => {
    const records = decodeWalletLog(proxyCreation(SAFE_FACTORY, SAFE, OWNER));
    expect(records).toEqual([
      {
        table: 'wallets',
        row: {
          proxy: SAFE.toLowerCase(),
          owner: OWNER.toLowerCase(),
          kind: 'safe',
          factory: SAFE_FACTORY.toLowerCase(),
          block_number: 19_426_706,
          transaction_hash: TX,
        },
      },
    ]);
    expect(stagedRecordSchema.safeParse(records[0]).success).toBe(true);
  });

  it('accepts upper-case hex from the provider and still stages lower-case', () => {
    const log = proxyCreation(SAFE_FACTORY, SAFE, OWNER, { transactionHash: TX.toUpperCase().replace('0X', '0x') });
    const [record] = decodeWalletLog({ ...log, address: SAFE_FACTORY.toUpperCase().replace('0X', '0x') });
    expect(record).toMatchObject({ table: 'wallets', row: { transaction_hash: TX, factory: SAFE_FACTORY.toLowerCase() } });
  });

  it('the same ProxyCreation topic from another factory is a reject, not a wallet', () => {
    const reason = rejectReason(decodeWalletLog(proxyCreation(GNOSIS_PROXY_FACTORY, SAFE, OWNER)));
    expect(reason).toContain('not a wallet log');
  });

  it('a successful relayed call to the proxy factory: one proxy row for the signer', () => {
    const records = decodeWalletLog(transactionRelayed(OWNER, PROXY_FACTORY, 0));
    expect(records).toEqual([
      {
        table: 'wallets',
        row: {
          proxy: independentProxyAddress(OWNER, PROXY_FACTORY, PROXY_IMPLEMENTATION).toLowerCase(),
          owner: OWNER.toLowerCase(),
          kind: 'proxy',
          factory: PROXY_FACTORY.toLowerCase(),
          block_number: 19_426_706,
          transaction_hash: TX,
        },
      },
    ]);
  });

  it('a reverted relayed call (status 2, RelayedCallFailed) or one to another recipient stages nothing', () => {
    expect(decodeWalletLog(transactionRelayed(OWNER, PROXY_FACTORY, 2))).toEqual([]);
    expect(decodeWalletLog(transactionRelayed(OWNER, GNOSIS_PROXY_FACTORY, 0))).toEqual([]);
  });

  it('rejects logs it cannot read, with the reason', () => {
    const good = transactionRelayed(OWNER, PROXY_FACTORY, 0);
    expect(rejectReason(decodeWalletLog({ ...good, topics: good.topics.slice(0, 3) }))).toContain('expected 4 topics');
    expect(rejectReason(decodeWalletLog({ ...good, data: '0x1234' }))).toContain('cannot decode TransactionRelayed');
    expect(rejectReason(decodeWalletLog({ ...good, removed: true }))).toContain('removed');
    expect(rejectReason(decodeWalletLog({ ...good, transactionHash: null }))).toContain('transactionHash');
    expect(rejectReason(decodeWalletLog(proxyCreation(SAFE_FACTORY, SAFE, getAddress('0x0000000000000000000000000000000000000000'))))).toContain(
      'zero address',
    );
    const transferTopic = topicOf('Transfer(address,address,uint256)');
    expect(rejectReason(decodeWalletLog(rpcLog(SAFE_FACTORY, [transferTopic], '0x')))).toContain(`topic0 ${transferTopic}`);
  });
});

describe('earliestWalletPerProxy', () => {
  it('keeps the earliest row per proxy and every other record, in order', () => {
    const at = (block: number, logIndex: number) => ({ blockNumber: toHex(block), logIndex: toHex(logIndex) });
    const late = decodeWalletLog(transactionRelayed(OWNER, PROXY_FACTORY, 0, at(500, 1)));
    const early = decodeWalletLog(transactionRelayed(OWNER, PROXY_FACTORY, 0, at(400, 9)));
    const safe = decodeWalletLog(proxyCreation(SAFE_FACTORY, SAFE, OWNER, at(450, 2)));
    const reject = decodeWalletLog(proxyCreation(GNOSIS_PROXY_FACTORY, SAFE, OWNER));
    const kept = earliestWalletPerProxy([...late, ...safe, ...reject, ...early]);
    expect(kept).toEqual([...safe, ...reject, ...early]);
  });
});
