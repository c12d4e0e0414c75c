import { z } from 'zod';
import { GraphQLClient, gql } from 'graphql-request';
import { retryingFetch, sourceHttp } from '#shared/sources/http.ts';
import { FIRST_CURSOR } from '#shared/sources/markets/clob.ts';
import { redactUrls } from '#shared/telemetry/redact.ts';
import { causeText, check, elapsedMs, thousands, type Check } from './types.ts';

export interface HttpProbeInput {
  url: string;
  timeoutMs: number;
}

/** The doctor's client: the sources' own, with one retry, so a dead host answers quickly. */
const client = (timeoutMs: number) => sourceHttp({ timeoutMs, maxRetries: 1, maxRetryAfterMs: 2_000 });

const unreachable = (name: string, url: string, setting: string, err: unknown): Check =>
  check(name, 'fail', `${redactUrls(url)}: ${causeText(err)}; check ${setting}, or try --simulated`);

/** The CLOB market list: its first page, as the markets source reads it. */
export async function probeClob(input: HttpProbeInput): Promise<Check> {
  const name = 'markets: CLOB list';
  const start = performance.now();
  try {
    const body = await client(input.timeoutMs)
      .get(`${input.url.replace(/\/+$/, '')}/markets`, { searchParams: { next_cursor: FIRST_CURSOR } })
      .json();
    const page = z.object({ data: z.array(z.unknown()) }).safeParse(body);
    const ms = elapsedMs(start);
    if (!page.success) return check(name, 'fail', `${redactUrls(input.url)} answered, but not a market list page (${ms} ms)`, { latencyMs: ms });
    return check(name, 'ok', `${redactUrls(input.url)} answered in ${ms} ms (${thousands(page.data.data.length)} markets on the first page)`, {
      latencyMs: ms,
    });
  } catch (err) {
    return unreachable(name, input.url, 'POLYMARKET_MARKETS_URL', err);
  }
}

/** Gamma's keyset market list: one market. */
export async function probeGamma(input: HttpProbeInput): Promise<Check> {
  const name = 'markets: Gamma list';
  const start = performance.now();
  try {
    const body = await client(input.timeoutMs)
      .get(`${input.url.replace(/\/+$/, '')}/markets/keyset`, { searchParams: { limit: 1, closed: false } })
      .json();
    const ms = elapsedMs(start);
    if (!z.object({ markets: z.array(z.unknown()) }).safeParse(body).success) {
      return check(name, 'fail', `${redactUrls(input.url)} answered, but not a keyset market page (${ms} ms)`, { latencyMs: ms });
    }
    return check(name, 'ok', `${redactUrls(input.url)} answered in ${ms} ms`, { latencyMs: ms });
  } catch (err) {
    return unreachable(name, input.url, 'POLYMARKET_GAMMA_URL', err);
  }
}

/**
 * `_meta` as graph-node defines it (graphprotocol/graph-node
 * graph/src/schema/meta.graphql): `block { number timestamp }` is the
 * latest indexed block, `hasIndexingErrors` is true once the subgraph met an
 * indexing error at some past block. Queries default to
 * `subgraphError: deny`, which omits data from such a subgraph, so the sync's
 * queries would fail: that is a `fail` when the subgraph is read.
 */
const META = gql`
  query DoctorMeta {
    _meta {
      block {
        number
        timestamp
      }
      deployment
      hasIndexingErrors
    }
  }
`;
const metaSchema = z.object({
  _meta: z.object({
    block: z.object({ number: z.number().int(), timestamp: z.number().int().nullish() }),
    deployment: z.string(),
    hasIndexingErrors: z.boolean(),
  }),
});

export async function probeSubgraph(input: HttpProbeInput, now: number = Date.now()): Promise<Check[]> {
  const start = performance.now();
  let meta: z.infer<typeof metaSchema>['_meta'];
  try {
    const data = await new GraphQLClient(input.url, { fetch: retryingFetch(client(input.timeoutMs)) }).request<unknown>(META);
    const parsed = metaSchema.safeParse(data);
    if (!parsed.success)
      return [check('subgraph: reachable', 'fail', `${redactUrls(input.url)} answered _meta in an unexpected shape: ${parsed.error.message.slice(0, 200)}`)];
    meta = parsed.data._meta;
  } catch (err) {
    return [unreachable('subgraph: reachable', input.url, 'POLYMARKET_SUBGRAPH_URL', err)];
  }
  const ms = elapsedMs(start);
  const ts = meta.block.timestamp ?? null;
  const age = ts === null ? '' : `, ${ageText(now / 1000 - ts)} old`;
  const data = { block: meta.block.number, timestamp: ts, deployment: meta.deployment, hasIndexingErrors: meta.hasIndexingErrors };
  return [
    check('subgraph: reachable', 'ok', `${redactUrls(input.url)} answered in ${ms} ms`, { latencyMs: ms }),
    check('subgraph: head', 'ok', `block ${thousands(meta.block.number)}${age}`, data),
    meta.hasIndexingErrors
      ? check(
          'subgraph: indexing errors',
          'fail',
          `hasIndexingErrors is true (deployment ${meta.deployment}): its queries omit data by default; point POLYMARKET_SUBGRAPH_URL at a healthy deployment`,
          data,
        )
      : check('subgraph: indexing errors', 'ok', 'none', data),
  ];
}

function ageText(seconds: number): string {
  if (seconds < 120) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3_600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
