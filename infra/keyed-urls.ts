import { DEFAULT_GAMMA_URL, DEFAULT_MARKETS_URL, DEFAULT_POLYGON_RPC_URL, DEFAULT_SUBGRAPH_URL } from '#shared/config.ts';

/**
 * Recognises URLs that carry a credential, so none reaches a CloudFormation
 * template (anyone who can read the stack can read its template). Providers
 * put keys in three places: the userinfo (`https://user:pass@host`), a path
 * segment (Alchemy `/v2/<key>`, Infura `/v3/<key>`, QuickNode `/<token>/`,
 * The Graph's gateway `/api/<key>/subgraphs/...`) or a query parameter
 * (`?apikey=`, `?api_key=`, `?token=`...).
 */

/** Query parameter names that hold a key. */
const KEY_PARAMETER = /^(api[-_]?key|key|token|access[-_]?token|auth|auth[-_]?token|secret|client[-_]?secret|password|pass|pwd|sig|signature|x-api-key)$/i;

/** A segment that looks like a generated token: long, URL-safe, and mixing letters with digits. */
const TOKEN_LIKE = /^[A-Za-z0-9_-]{20,}$/;

/** After a version segment, providers put the key: Alchemy /v2/<key>, Infura /v3/<key>. */
const VERSIONED_KEY = /^[A-Za-z0-9_-]{8,}$/;

/**
 * Segments of the documented public endpoints: long, but ids of public
 * resources, not keys (Goldsky's public project id in the default subgraph URL).
 */
const PUBLIC_SEGMENTS: ReadonlySet<string> = new Set(
  [DEFAULT_SUBGRAPH_URL, DEFAULT_MARKETS_URL, DEFAULT_POLYGON_RPC_URL, DEFAULT_GAMMA_URL].flatMap((u) => new URL(u).pathname.split('/').filter(Boolean)),
);

function tokenLike(segment: string): boolean {
  return TOKEN_LIKE.test(segment) && /[0-9]/.test(segment) && /[A-Za-z]/.test(segment) && !PUBLIC_SEGMENTS.has(segment);
}

/**
 * Why a URL carries a credential, or undefined when it does not. The reason
 * names the part (never the value), so it is safe to print.
 */
export function credentialIn(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.username || parsed.password) return 'credentials in the URL (user:password@)';
  for (const name of parsed.searchParams.keys()) {
    if (KEY_PARAMETER.test(name)) return `a key query parameter (${name})`;
  }
  const segments = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  for (const [i, segment] of segments.entries()) {
    if (tokenLike(segment)) return `a key-like path segment (#${i + 1})`;
    const previous = segments[i - 1];
    if (previous !== undefined && /^v\d+$/.test(previous) && VERSIONED_KEY.test(segment) && /[0-9]/.test(segment)) {
      return `a key after /${previous}/ (path segment #${i + 1})`;
    }
  }
  return undefined;
}

/** Every URL inside a string (a template value may embed several, or JSON). */
export function urlsIn(text: string): string[] {
  return [...text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>\\]+/gi)].map((m) => m[0]);
}
