import { encodePacked, getCreate2Address, keccak256, toFunctionSelector, type Address, type Hex } from 'viem';
import type { Rng } from '#simulator/rng.ts';
import { GSN_RELAY_HUB, POLYMARKET_PROXY_FACTORY, POLYMARKET_SAFE_FACTORY } from '#shared/sources/chain/events/wallets.ts';
import type { SafeProxyCreationLog, TransactionRelayedLog, WorldLog } from './logs.ts';

/**
 * The world's traders as Polymarket's users are: most trade from a contract
 * wallet, not their key. Every third drawn address is the key behind a proxy
 * wallet (Magic / email users), whose address follows from the key; every
 * third is a Safe, created for an owner of its own; the rest trade from their
 * key (EOAs, nothing to map). The chain records each contract wallet's
 * creation: a Safe by the Safe factory's `ProxyCreation`, a proxy wallet by a
 * relayed call to the proxy factory through the GSN RelayHub, which the owner's
 * later calls repeat. docs/CONTRACTS.md, "Proxy wallets", says what a reader
 * takes from each.
 */

/**
 * The proxy wallet factory's init code hash as Polymarket publishes it
 * (Polymarket/builder-relayer-client src/constants, PROXY_INIT_CODE_HASH),
 * written out so the world does not take a proxy's address from the reader.
 */
const PUBLISHED_PROXY_INIT_CODE_HASH: Hex = '0xd21df8dc65880a8606f09fe0ce3df9b8869287ab0b058be05aa9e8af6330a00b';

/** The canonical Gnosis Safe ProxyFactory 1.3.0: the same `ProxyCreation` topic, whose second field is the singleton. */
export const GNOSIS_PROXY_FACTORY: Address = '0xa6b71e26c5e0845f74c812102ca7114b6a896ab2';
/** The Safe 1.3.0 singleton (GnosisSafeL2) the canonical factory names. */
const GNOSIS_SAFE_SINGLETON: Address = '0x3e5c63644e683549055b9be8653de26e0b4cd36e';

/** GSN v1 RelayCallStatus: OK = 0, RelayedCallFailed = 1 (the call reverted, and any wallet creation with it). */
const RELAYED_OK = 0;
const RELAYED_CALL_FAILED = 1;
/** ProxyWalletFactory.proxy(calls): what a proxy wallet's relayed call runs. */
const PROXY_SELECTOR = toFunctionSelector('proxy((uint8,address,uint256,bytes)[])');
/** The relay that forwards the world's calls (a placeholder). */
const RELAY: Address = '0x000000000000000000000000000000000000e1a7';

export type WalletKind = 'proxy' | 'safe' | 'eoa';

export interface WorldWallet {
  /** The address that trades (fills' maker), lower-case. */
  address: Address;
  kind: WalletKind;
  /** The key that controls it; null for an EOA. */
  owner: Address | null;
}

/** CREATE2 of the proxy factory with salt keccak256(abi.encodePacked(owner)) (ProxyWalletFactory.makeWallet). */
export function proxyWalletOf(owner: Address): Address {
  return getCreate2Address({
    from: POLYMARKET_PROXY_FACTORY,
    salt: keccak256(encodePacked(['address'], [owner])),
    bytecodeHash: PUBLISHED_PROXY_INIT_CODE_HASH,
  }).toLowerCase() as Address;
}

/** Share of an era's proxy wallets that make another relayed call later in the era. */
const REPEAT_SHARE = 0.3;

export class WorldWallets {
  readonly all: WorldWallet[] = [];
  private readonly created = new Set<Address>();

  /** Its own generator: the rest of the world draws exactly as it would without wallets. */
  constructor(private readonly rng: Rng) {}

  /** Traders from addresses the world drew: each third a proxy wallet of that key, each third a Safe, the rest EOAs. */
  traders(drawn: readonly Address[]): Address[] {
    return drawn.map((key, i) => {
      const wallet: WorldWallet =
        i % 3 === 0
          ? { address: proxyWalletOf(key), kind: 'proxy', owner: key }
          : i % 3 === 1
            ? { address: key, kind: 'safe', owner: this.rng.hexString(20) as Address }
            : { address: key, kind: 'eoa', owner: null };
      this.all.push(wallet);
      return wallet.address;
    });
  }

  /**
   * The wallet transactions of one era of `slots` blocks, by slot. The first
   * block creates the era's traders not created yet, except one proxy wallet
   * whose first relayed call reverts there and is made again in the second
   * block; later blocks repeat some proxies' relayed calls. Each era also has
   * a relayed call to another recipient and a `ProxyCreation` from the
   * canonical Gnosis factory, neither of which is a Polymarket wallet.
   */
  script(traders: readonly Address[], slots: number): (k: number) => WorldLog[][] {
    const fresh = this.all.filter((w) => traders.includes(w.address) && w.kind !== 'eoa' && !this.created.has(w.address));
    for (const w of fresh) this.created.add(w.address);
    const safes = fresh.filter((w) => w.kind === 'safe');
    const proxies = fresh.filter((w) => w.kind === 'proxy');
    const [late, ...onTime] = proxies;
    const known = this.all.filter((w) => w.kind === 'proxy' && traders.includes(w.address));
    const repeats = new Map<number, WorldWallet[]>();
    for (const w of known) {
      if (slots < 2 || !this.rng.chance(REPEAT_SHARE)) continue;
      const k = this.rng.range(1, slots - 1);
      repeats.set(k, [...(repeats.get(k) ?? []), w]);
    }
    const stranger = this.rng.hexString(20) as Address;
    const elsewhere = this.rng.hexString(20) as Address;
    const foreignSafe = this.rng.hexString(20) as Address;
    const byKey = (k: number): WorldLog[][] => {
      const txs: WorldLog[][] = [];
      if (k === 0) {
        txs.push([...safes.map((w) => safeCreation(w)), safeCreation({ address: foreignSafe, owner: GNOSIS_SAFE_SINGLETON }, GNOSIS_PROXY_FACTORY)]);
        txs.push([...(late ? [relayed(late, RELAYED_CALL_FAILED)] : []), ...onTime.map((w) => relayed(w, RELAYED_OK)), relayedElsewhere(stranger, elsewhere)]);
      }
      if (k === Math.min(1, slots - 1) && late) txs.push([relayed(late, RELAYED_OK)]);
      const again = repeats.get(k);
      if (again) txs.push(again.map((w) => relayed(w, RELAYED_OK)));
      return txs.filter((t) => t.length > 0);
    };
    return byKey;
  }
}

function safeCreation(w: Pick<WorldWallet, 'address' | 'owner'>, factory: Address = POLYMARKET_SAFE_FACTORY): SafeProxyCreationLog {
  return { kind: 'SafeProxyCreation', address: factory, proxy: w.address, owner: w.owner as Address };
}

function relayed(w: WorldWallet, status: number): TransactionRelayedLog {
  return {
    kind: 'TransactionRelayed',
    address: GSN_RELAY_HUB,
    relay: RELAY,
    from: w.owner as Address,
    to: POLYMARKET_PROXY_FACTORY,
    selector: PROXY_SELECTOR,
    status,
    charge: 123_456n,
    wallet: status === RELAYED_OK ? w.address : null,
  };
}

/** A relayed call of someone's to another contract: the hub relays for more than Polymarket. */
function relayedElsewhere(from: Address, to: Address): TransactionRelayedLog {
  return { kind: 'TransactionRelayed', address: GSN_RELAY_HUB, relay: RELAY, from, to, selector: '0xa9059cbb', status: RELAYED_OK, charge: 99n, wallet: null };
}
