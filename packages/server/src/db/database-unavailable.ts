/**
 * Whether an error says the database is out of reach for now rather than that the request or our
 * code is wrong, and so a 503 the client may retry:
 * - `unreachable`: no connection could be had (refused, not found, starting up or shutting down,
 *   too many connections, SQLite's lock held past its busy timeout): nothing was done;
 * - `lost`: the connection dropped under the request: a write may or may not have committed.
 */
export function databaseUnavailable(err: unknown): 'unreachable' | 'lost' | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if ('severity' in err) {
      if (postgresRefusals.has(code)) return 'unreachable';
      // connection exceptions (class 08), the server shutting down or crashing under the connection
      if (code.startsWith('08') || code === '57P01' || code === '57P02') return 'lost';
    }
    if ('syscall' in err) {
      if (err.syscall === 'connect' || err.syscall === 'getaddrinfo') return 'unreachable';
      if (networkCodes.has(code)) return 'lost';
    }
    if (code.startsWith('SQLITE_BUSY')) return 'unreachable';
  }
  // node-postgres's own words
  if (/^timeout exceeded when trying to connect/.test(err.message)) return 'unreachable';
  if (
    /^(Connection terminated|Client has encountered a connection error and is not queryable)/.test(
      err.message,
    )
  ) {
    return 'lost';
  }
  return undefined;
}

/** PostgreSQL refusing a new connection: starting up or shutting down, too many connections. */
const postgresRefusals = new Set(['57P03', '53300']);
const networkCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
