/**
 * Whether an error says the database is out of reach for now (refusing or dropping connections,
 * starting up or shutting down, SQLite's lock held past its busy timeout) rather than that the
 * request or our code is wrong: a 503 the client may retry. Whether a write went through before
 * the connection was lost cannot be told from the error, so callers must not say it did not.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // Node tries each address of a host name and reports them all together
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.every(isDatabaseUnavailable);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if ('severity' in err && postgresStates.has(code)) return true;
    // a socket error names its syscall; a TLS handshake the peer broke off names the host instead
    if (('syscall' in err || 'host' in err) && networkCodes.has(code)) return true;
    if (code.startsWith('SQLITE_BUSY')) return true;
  }
  return pgMessages.test(err.message);
}

/**
 * PostgreSQL: connection exceptions (not 08P01, a protocol violation: a bug), the server shutting
 * down, crashing or starting up, too many connections, an idle session ended.
 */
const postgresStates = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08007',
  '57P01',
  '57P02',
  '57P03',
  '57P05',
  '53300',
]);
/** The network under a connection: refused, reset, timed out, unreachable, not found. */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** node-postgres's own words for a connection dropped, broken, closed or not had in time. */
const pgMessages =
  /^(Connection terminated|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Cannot use a pool after calling end|timeout exceeded when trying to connect)/;
