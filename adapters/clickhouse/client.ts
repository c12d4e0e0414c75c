import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';

export interface ClickHouseServer {
  url: string;
  username: string;
  password: string;
}

/**
 * A client for a ClickHouse server. Lambda freezes timers between
 * invocations, so idle sockets are dropped well before the server's
 * keep-alive timeout (3 s by default) closes them under us.
 */
export function serverClient(server: ClickHouseServer, opts: { quiet?: boolean } = {}): ClickHouseClient {
  return createClient({
    // The command line words failures itself; the client's own error log would print them twice, stack and all.
    ...(opts.quiet ? { log: { level: ClickHouseLogLevel.OFF } } : {}),
    url: server.url,
    username: server.username,
    password: server.password,
    keep_alive: { enabled: true, idle_socket_ttl: 2_000 },
    request_timeout: 300_000,
    // Compressing inserts costs the Lambda more CPU than the bytes it saves inside a region.
    compression: { request: false, response: true },
    clickhouse_settings: {
      output_format_json_quote_64bit_integers: 1,
      // Long inserts behind a load balancer (ClickHouse Cloud) stay alive with progress headers.
      send_progress_in_http_headers: 1,
      http_headers_progress_interval_ms: '110000',
    },
  });
}
