/**
 * Strips what can carry a credential from URLs in free text: user info, the
 * query string, and long token-like path segments (Alchemy and QuickNode put
 * the key in the path). Applied to every error we log or print.
 */
export function redactUrls(text: string): string {
  return text.replace(
    /\b(https?:\/\/)([^\s/@]+@)?([^\s/?#]+)([^\s?#]*)(\?[^\s#]*)?/g,
    (_m, scheme: string, _user, host: string, path: string, query?: string) =>
      `${scheme}${host}${path.replace(/\/[A-Za-z0-9_-]{20,}/g, '/…')}${query ? '?…' : ''}`,
  );
}

/** An error reduced to what is safe and useful in a log line. */
export function loggableError(err: unknown): { name: string; message: string; stack?: string } {
  if (!(err instanceof Error)) return { name: 'Error', message: redactUrls(String(err)) };
  return { name: err.name, message: redactUrls(err.message), stack: err.stack ? redactUrls(err.stack) : undefined };
}
