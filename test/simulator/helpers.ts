/** Small helpers shared by the simulator tests. */
export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string }[] };
}

export async function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  init?: { signal?: AbortSignal },
): Promise<GqlResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
    ...(init?.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  let body: GqlResponse<T>['body'];
  try {
    body = JSON.parse(text) as GqlResponse<T>['body'];
  } catch {
    body = { errors: [{ message: `non-JSON body: ${text.slice(0, 80)}` }] };
  }
  return { status: res.status, headers: res.headers, body };
}

/** Data of a successful GraphQL response; throws with the errors otherwise. */
export async function gqlData<T = Record<string, unknown>>(url: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const r = await gql<T>(url, query, variables);
  if (r.status !== 200 || r.body.errors || !r.body.data) {
    throw new Error(`GraphQL failed (${r.status}): ${JSON.stringify(r.body.errors)}`);
  }
  return r.body.data;
}

export const FILL_FIELDS = 'id transactionHash timestamp orderHash maker taker makerAssetId takerAssetId makerAmountFilled takerAmountFilled fee';
