import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMarketsSource } from '#shared/sources/markets/index.ts';

/** Unit checks of what each list sends, and how it reads answers the simulators never give. */
const http = { timeoutMs: 5_000, maxRetries: 0 };
const COND = `0x${'Ab'.repeat(32)}`;
const T1 = '123456789012345678901234567890';
const T2 = '98765432109876543210';

/** A server that answers the queued bodies in turn (the last one again) and records each request. */
let server: Server;
let url = '';
let answers: unknown[] = [];
let requests: { url: string; body: string }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ url: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answers[Math.min(requests.length - 1, answers.length - 1)]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function answer(...bodies: unknown[]): void {
  answers = bodies;
  requests = [];
}

const gammaSource = () => createMarketsSource({ ...http, url, gammaUrl: `${url}/` });

describe('Gamma list shapes', () => {
  it('sends limit, closed and after_cursor on every keyset page, and stops where next_cursor ends', async () => {
    answer({ markets: [], next_cursor: 'c2' }, { markets: [] });
    const source = gammaSource();
    const first = await source.fetchPage({ list: 'gamma', closed: true }, { afterCursor: 'c1' });
    expect(first.next).toBeNull(); // an empty page ends the list even with a cursor
    const sent = new URL(requests[0]!.url, url);
    expect(sent.pathname).toBe('/markets/keyset');
    expect(Object.fromEntries(sent.searchParams)).toEqual({ limit: '100', closed: 'true', after_cursor: 'c1' });
    answer({ markets: [{ conditionId: COND }], next_cursor: 'c2' });
    expect((await source.fetchPage({ list: 'gamma', closed: false }, null)).next).toEqual({ afterCursor: 'c2' });
    expect(new URL(requests[0]!.url, url).searchParams.has('after_cursor')).toBe(false);
  });

  it('reads JSON-encoded strings and plain arrays alike, and a market without order book as a markets row alone', async () => {
    answer({
      markets: [
        { conditionId: COND, outcomes: '["Up", "Down"]', clobTokenIds: `["${T1}", "${T2}"]`, closed: true },
        { conditionId: `0x${'cd'.repeat(32)}`, outcomes: ['Yes', 'No'], clobTokenIds: [T2, T1] },
        { conditionId: `0x${'ef'.repeat(32)}`, outcomes: '["Yes", "No"]' },
        { conditionId: `0x${'01'.repeat(32)}`, outcomes: '["Yes", "No"]', clobTokenIds: '["", ""]' },
      ],
    });
    const page = await gammaSource().fetchPage({ list: 'gamma', closed: false }, null);
    expect(page.next).toBeNull();
    const claims = page.records.flatMap((r) => (r.table === 'token_claims' ? [[r.row.token_id, r.row.condition_id, r.row.outcome_index, r.row.outcome]] : []));
    expect(claims).toEqual([
      [T1, COND.toLowerCase(), 0, 'Up'],
      [T2, COND.toLowerCase(), 1, 'Down'],
      [T2, `0x${'cd'.repeat(32)}`, 0, 'Yes'],
      [T1, `0x${'cd'.repeat(32)}`, 1, 'No'],
    ]);
    const markets = page.records.flatMap((r) => (r.table === 'markets' ? [r.row] : []));
    expect(markets.map((m) => [m.condition_id, m.closed])).toEqual([
      [COND.toLowerCase(), true],
      [`0x${'cd'.repeat(32)}`, false], // `closed` absent: the shard's filter says what it is
      [`0x${'ef'.repeat(32)}`, false],
      [`0x${'01'.repeat(32)}`, false],
    ]);
  });

  it('rejects rows whose lists do not pair up or do not decode, with the raw row', async () => {
    const rows = [
      { conditionId: COND, outcomes: '["Yes"]', clobTokenIds: `["${T1}", "${T2}"]` },
      { conditionId: COND, outcomes: '["Yes", "No"]', clobTokenIds: `["${T1}", ` },
      { conditionId: COND, outcomes: '{"a": 1}', clobTokenIds: `["${T1}"]` },
      { conditionId: COND, outcomes: '["Yes", "No"]', clobTokenIds: `["-1", "${T2}"]` },
      { conditionId: '0x1234', outcomes: '["Yes", "No"]', clobTokenIds: `["${T1}", "${T2}"]` },
      'not an object',
    ];
    answer({ markets: rows });
    const page = await gammaSource().fetchPage({ list: 'gamma', closed: false }, null);
    expect(page.records.every((r) => r.table === 'rejects')).toBe(true);
    expect(page.records).toHaveLength(rows.length);
    page.records.forEach((r, i) => {
      if (r.table !== 'rejects') return;
      expect(r.row.source).toBe('markets/gamma');
      const raw = rows[i];
      expect(r.row.raw).toBe(typeof raw === 'string' ? raw : JSON.stringify(raw));
    });
  });

  it('refuses the legacy bare-array shape and a cursor that does not move', async () => {
    answer([{ conditionId: COND }]);
    await expect(gammaSource().fetchPage({ list: 'gamma', closed: false }, null)).rejects.toThrow(/does not match the schema/);
    answer({ markets: [{ conditionId: COND }], next_cursor: 'same' });
    await expect(gammaSource().fetchPage({ list: 'gamma', closed: false }, { afterCursor: 'same' })).rejects.toThrow(/same cursor/);
    answer({ markets: [{ conditionId: COND }], next_cursor: 'bad cursor with spaces' });
    await expect(gammaSource().fetchPage({ list: 'gamma', closed: false }, null)).rejects.toThrow(/malformed cursor/);
  });
});

describe('subgraph list shape', () => {
  it('asks for marketDatas by id_gt in id order, first <= 1000, never skip', async () => {
    answer({ data: { marketDatas: Array.from({ length: 1000 }, (_, k) => ({ id: String(1000 + k), condition: COND, outcomeIndex: null })) } });
    const source = createMarketsSource({ ...http, url, subgraphUrl: url, subgraphPageSize: 5000 });
    const page = await source.fetchPage({ list: 'subgraph' }, { lastId: '0999' });
    expect(page.next).toEqual({ lastId: '1999' });
    expect(page.records).toHaveLength(1000);
    expect(page.records.every((r) => r.table === 'token_claims' && r.row.condition_id === COND.toLowerCase())).toBe(true);
    const sent = JSON.parse(requests[0]!.body) as { query: string; variables: Record<string, unknown> };
    expect(sent.variables).toEqual({ first: 1000, lastId: '0999' });
    expect(sent.query).toMatch(/marketDatas\(first: \$first, orderBy: id, orderDirection: asc, where: \{ id_gt: \$lastId \}\)/);
    expect(sent.query).not.toMatch(/skip/);
  });

  it('refuses a page longer than asked for, or one that goes backwards', async () => {
    const source = createMarketsSource({ ...http, url, subgraphUrl: url, subgraphPageSize: 2 });
    answer({ data: { marketDatas: [1, 2, 3].map((k) => ({ id: String(k), condition: COND })) } });
    await expect(source.fetchPage({ list: 'subgraph' }, null)).rejects.toThrow(/3 rows for first: 2/);
    answer({ data: { marketDatas: [1, 2].map((k) => ({ id: String(k), condition: COND })) } });
    await expect(source.fetchPage({ list: 'subgraph' }, { lastId: '5' })).rejects.toThrow(/went backwards/);
  });
});
