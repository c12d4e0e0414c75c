import type { StagedRecord } from '#shared/model/staged.ts';
import type { LogCatalogue } from './catalogue.ts';
import { logBlockNumber, logBlockTimestamp, type RpcLog } from './decode.ts';
import type { BlockClock } from './block-clock.ts';
import type { ChainRpc } from './rpc.ts';
import type { ChainSourceStats } from './stats.ts';

export interface LogDecoding {
  rpc: ChainRpc;
  clock: BlockClock;
  catalogue: LogCatalogue;
  stats: ChainSourceStats;
}

/**
 * Decodes a page's logs into staged records: each log gets its block's time
 * (its own `blockTimestamp`, else the block clock: a header read, or proven
 * between two), adapter transactions are attributed when the catalogue asks,
 * and the rows are counted by table. `horizon` is the shard's last block.
 */
export async function logsToRecords(parts: LogDecoding, logs: RpcLog[], horizon: bigint, signal?: AbortSignal): Promise<StagedRecord[]> {
  const { rpc, clock, catalogue, stats } = parts;
  const need: bigint[] = [];
  for (const log of logs) {
    const n = logBlockNumber(log);
    if (logBlockTimestamp(log) === null && n !== null) need.push(n);
  }
  const { times, headers } = await clock.read(need, horizon, signal);
  let records: StagedRecord[] = [];
  for (const log of logs) {
    const n = logBlockNumber(log);
    let ts = logBlockTimestamp(log);
    if (ts !== null) stats.timestampsFromLogs++;
    else if (n !== null) {
      const h = headers.get(n);
      if (h && typeof log.blockHash === 'string' && log.blockHash.toLowerCase() !== h.hash) {
        throw new Error(
          `chain source: log in block ${n} has block hash ${log.blockHash} but the node now says ${h.hash} (reorg or inconsistent provider); the page will be retried`,
        );
      }
      ts = times.get(n) ?? null;
    }
    for (const r of catalogue.decode(log, ts)) records.push(r);
  }
  const adapterTxs = catalogue.adapterTransactions?.(records) ?? [];
  if (adapterTxs.length > 0 && catalogue.attributeAdapters) {
    records = catalogue.attributeAdapters(records, await rpc.getTransactionLogs(adapterTxs, signal));
  }
  for (const r of records) {
    if (r.table === 'fills') stats.fills++;
    else if (r.table === 'rejects') stats.rejects++;
    else stats.otherRows++;
  }
  return records;
}
