import { isAddress, type Address, type Hex } from 'viem';
import type { StagedRecord } from '#shared/model/staged.ts';
import { ORDER_FILLED_TOPIC } from '#shared/sources/chain/abi.ts';
import { decodeOrderFilledLog, type RpcLog } from '#shared/sources/chain/decode.ts';
import { TOPICS } from './abi.ts';
import {
  CONDITIONAL_TOKENS,
  CTF_EXCHANGE_V1,
  CTF_EXCHANGE_V2,
  NEG_RISK_ADAPTER,
  NEG_RISK_EXCHANGE_V1,
  NEG_RISK_EXCHANGE_V2,
  PROTOCOL_V2_EXCHANGE,
  USDC_E,
  WRAPPED_COLLATERAL,
} from './addresses.ts';
import { adapterTransactions, attributeAdapters } from './attribution.ts';
import {
  decodeConditionPreparationLog,
  decodeConditionResolutionLog,
  decodeCtfPayoutRedemptionLog,
  decodeCtfPositionSplitLog,
  decodeCtfPositionsMergeLog,
} from './ctf.ts';
import { decodeV1OrderFilledLog, tokenRegisteredDecoder } from './exchange.ts';
import { chainReject, type LogDecoder } from './log.ts';
import { negRiskAdapterDecoders } from './neg-risk.ts';
import { decodeProtocolV2OrderFilledLog } from './protocol-v2.ts';

export * from './abi.ts';
export * from './addresses.ts';
export { adapterTransactions, attributeAdapters, type AttributionConfig } from './attribution.ts';
export * from './ctf.ts';
export * from './exchange.ts';
export type { LogDecoder, LogPosition } from './log.ts';
export * from './neg-risk.ts';
export * from './protocol-v2.ts';

/** A decoder for one (contract, topic0) the catalogue does not know itself (e.g. proxy-wallet factories). */
export interface ExtraDecoder {
  address: string;
  topic0: string;
  decode: LogDecoder;
}

export interface CatalogueOptions {
  /** Read V1 `OrderFilled` from the V1 exchanges. */
  v1Fills: boolean;
  /** Read V2 `OrderFilled` from the V2 exchanges; default true. */
  v2Fills?: boolean | undefined;
  /** Read the Protocol V2 exchange's fills (PositionManager ids, kept apart by their `exchange`); default true. */
  protocolV2Fills?: boolean | undefined;
  /** Read `TokenRegistered` from the V1 exchanges (the V2 ones have no registry); default true. */
  tokenRegistry?: boolean | undefined;
  /** Exchange addresses instead of the Polygon ones (tests, forks). */
  exchanges?: { v1Ctf?: string; v1NegRisk?: string; v2Ctf?: string; v2NegRisk?: string } | undefined;
  /** Read the CTF's and the NegRiskAdapter's conditions, splits, merges, redemptions, conversions and questions; default true. */
  activity?: boolean | undefined;
  /** Collateral adapters whose activity rows are attributed to the real wallet (configuration: sources disagree). */
  adapters: readonly string[];
  ctf?: string | undefined;
  negRiskAdapter?: string | undefined;
  /** CTF collateral of the CTF exchange's tokens; default USDC.e. */
  usdce?: string | undefined;
  /** CTF collateral of the NegRisk positions (NegRiskAdapter.wcol); default WrappedCollateral. */
  wrappedCollateral?: string | undefined;
  /** Extension point: more (address, topic0) pairs and their decoders, read in the same eth_getLogs. */
  extraDecoders?: readonly ExtraDecoder[] | undefined;
}

export interface EventCatalogue {
  /** Every contract to pass to eth_getLogs, lower-case. */
  readonly addresses: readonly Address[];
  /** Every topic0 (one eth_getLogs with topics [[...all]]). */
  readonly topics: readonly Hex[];
  /** Dispatches on address + topic0; an unknown pair becomes a reject. Never throws. */
  decode(log: RpcLog, timestamp: number | null): StagedRecord[];
  /** Transaction hashes of activity rows whose stakeholder is a configured collateral adapter. */
  adapterTransactions(records: readonly StagedRecord[]): string[];
  /**
   * Sets `wallet` of those rows to the real wallet: the other side of the CTF
   * ERC-1155 TransferSingle/TransferBatch with the adapter in the same tx
   * (split: adapter → wallet; merge/redeem/convert: wallet → adapter), matching
   * token ids and amounts where possible. A row that cannot be attributed
   * becomes a reject naming why. receiptLogs: all logs of each tx.
   */
  attributeAdapters(records: StagedRecord[], receiptLogs: ReadonlyMap<string, readonly RpcLog[]>): StagedRecord[];
}

function address(name: string, value: string): Address {
  if (!isAddress(value, { strict: false })) throw new Error(`event catalogue: ${name} is not an address: ${JSON.stringify(value)}`);
  return value.toLowerCase() as Address;
}

const v2Decoder: LogDecoder = (log, timestamp) => [decodeOrderFilledLog(log, timestamp)];

export function createEventCatalogue(options: CatalogueOptions): EventCatalogue {
  const ex = options.exchanges ?? {};
  const v1Ctf = address('exchanges.v1Ctf', ex.v1Ctf ?? CTF_EXCHANGE_V1);
  const v1NegRisk = address('exchanges.v1NegRisk', ex.v1NegRisk ?? NEG_RISK_EXCHANGE_V1);
  const v2Ctf = address('exchanges.v2Ctf', ex.v2Ctf ?? CTF_EXCHANGE_V2);
  const v2NegRisk = address('exchanges.v2NegRisk', ex.v2NegRisk ?? NEG_RISK_EXCHANGE_V2);
  const ctf = address('ctf', options.ctf ?? CONDITIONAL_TOKENS);
  const negRiskAdapter = address('negRiskAdapter', options.negRiskAdapter ?? NEG_RISK_ADAPTER);
  const usdce = address('usdce', options.usdce ?? USDC_E);
  const wcol = address('wrappedCollateral', options.wrappedCollateral ?? WRAPPED_COLLATERAL);
  const adapters = new Set(options.adapters.map((a, i) => address(`adapters[${i}]`, a)));

  const decoders = new Map<string, LogDecoder>();
  const register = (contract: string, topic0: string, decode: LogDecoder) => {
    const key = `${contract}:${topic0.toLowerCase()}`;
    if (decoders.has(key)) throw new Error(`event catalogue: two decoders for topic0 ${topic0} at ${contract}`);
    decoders.set(key, decode);
  };

  if (options.v1Fills) {
    register(v1Ctf, TOPICS.v1OrderFilled, decodeV1OrderFilledLog);
    register(v1NegRisk, TOPICS.v1OrderFilled, decodeV1OrderFilledLog);
  }
  if (options.tokenRegistry ?? true) {
    register(v1Ctf, TOPICS.tokenRegistered, tokenRegisteredDecoder(usdce));
    register(v1NegRisk, TOPICS.tokenRegistered, tokenRegisteredDecoder(wcol));
  }
  if (options.v2Fills ?? true) {
    register(v2Ctf, ORDER_FILLED_TOPIC, v2Decoder);
    register(v2NegRisk, ORDER_FILLED_TOPIC, v2Decoder);
  }
  if (options.protocolV2Fills ?? true) register(PROTOCOL_V2_EXCHANGE, ORDER_FILLED_TOPIC, decodeProtocolV2OrderFilledLog);
  if (options.activity ?? true) {
    register(ctf, TOPICS.conditionPreparation, decodeConditionPreparationLog);
    register(ctf, TOPICS.conditionResolution, decodeConditionResolutionLog);
    register(ctf, TOPICS.ctfPositionSplit, decodeCtfPositionSplitLog);
    register(ctf, TOPICS.ctfPositionsMerge, decodeCtfPositionsMergeLog);
    register(ctf, TOPICS.ctfPayoutRedemption, decodeCtfPayoutRedemptionLog);
    const nr = negRiskAdapterDecoders(wcol);
    register(negRiskAdapter, TOPICS.nrPositionSplit, nr.positionSplit);
    register(negRiskAdapter, TOPICS.nrPositionsMerge, nr.positionsMerge);
    register(negRiskAdapter, TOPICS.nrPayoutRedemption, nr.payoutRedemption);
    register(negRiskAdapter, TOPICS.nrPositionsConverted, nr.positionsConverted);
    register(negRiskAdapter, TOPICS.nrQuestionPrepared, nr.questionPrepared);
  }
  for (const [i, extra] of (options.extraDecoders ?? []).entries()) {
    register(address(`extraDecoders[${i}].address`, extra.address), extra.topic0, extra.decode);
  }

  const keys = [...decoders.keys()].map((k) => k.split(':') as [Address, Hex]);
  const attribution = { ctf, adapters };

  return {
    addresses: [...new Set(keys.map(([a]) => a))],
    topics: [...new Set(keys.map(([, t]) => t))],
    decode(log, timestamp) {
      try {
        const topic0 = Array.isArray(log?.topics) && typeof log.topics[0] === 'string' ? log.topics[0].toLowerCase() : null;
        if (topic0 === null) return [chainReject('log has no topic0', log)];
        const contract = typeof log.address === 'string' ? log.address.toLowerCase() : '';
        const decode = decoders.get(`${contract}:${topic0}`);
        if (!decode) return [chainReject(`no decoder for topic0 ${topic0} at ${contract || 'an unknown address'}`, log)];
        return decode(log, timestamp);
      } catch (err) {
        return [chainReject(`unexpected error dispatching the log: ${err instanceof Error ? err.message : String(err)}`, log)];
      }
    },
    adapterTransactions: (records) => adapterTransactions(records, adapters),
    attributeAdapters: (records, receiptLogs) => attributeAdapters(records, receiptLogs, attribution),
  };
}
