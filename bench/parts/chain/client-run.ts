import type { Address, Hex } from 'viem';
import type { ProviderProfile } from './profiles.ts';
import { backfillWithSource, type SourceRun } from './run-source.ts';
import { scan, type ScanResult } from './scanner.ts';
import { benchCatalogue } from './world.ts';

/** One client run, as the part asks a child process for it. */
export type ClientRequest =
  | { kind: 'source'; url: string; adapters: string[]; genesis: number; profile: ProviderProfile; fetchers: number }
  | { kind: 'scan'; url: string; adapters: string[]; from: number; to: number; span: number };

export type ClientResult = { kind: 'source'; run: SourceRun } | { kind: 'scan'; run: ScanResult };

/** Runs one client: the source's backfill, or the sequential scanner. */
export async function runRequest(req: ClientRequest): Promise<ClientResult> {
  const catalogue = benchCatalogue(req.adapters);
  if (req.kind === 'source') {
    return { kind: 'source', run: await backfillWithSource({ url: req.url, catalogue, genesis: req.genesis, profile: req.profile, fetchers: req.fetchers }) };
  }
  const run = await scan({
    url: req.url,
    addresses: catalogue.addresses as Address[],
    topics: catalogue.topics as Hex[],
    from: req.from,
    to: req.to,
    span: req.span,
  });
  return { kind: 'scan', run };
}
