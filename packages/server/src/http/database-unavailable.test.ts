import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabaseUrl, testDatabases } from '../../test/support/test-database.ts';
import { OWNER_KEY } from '../../test/support/test-server.ts';
import { bootstrap } from '../bootstrap.ts';
import { loadConfig } from '../config.ts';
import { createDatabase, type Db, migrate } from '../db/database.ts';
import { isDatabaseUnavailable } from '../db/database-unavailable.ts';
import { type Server as Assent, createServer as createAssent } from '../server.ts';

/** A TCP relay to PostgreSQL that the test can cut (every connection reset, new ones refused) and mend. */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly pairs = new Set<[Socket, Socket]>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async open(port = 0) {
    this.server = createServer((client) => {
      const upstream = connect(this.target);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.on('close', () => this.pairs.delete(pair));
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server?.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops passing what the server sends to PostgreSQL on the open connections: their queries hang. */
  hold() {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      client.pause();
    }
  }

  async cut() {
    const closed = new Promise((r) => this.server?.close(r));
    for (const s of this.sockets) s.resetAndDestroy();
    await closed;
  }
}

describe.skipIf(!testDatabases().includes('postgres'))('the database out of reach, on postgres', () => {
  let relay: Relay;
  let db: Db;
  let assent: Assent;
  beforeAll(async () => {
    const { databaseUrl, dataDir } = await freshDatabaseUrl('postgres');
    const url = new URL(databaseUrl ?? '');
    relay = new Relay({ host: url.hostname, port: Number(url.port) });
    await relay.open();
    url.host = `127.0.0.1:${relay.port}`;
    db = createDatabase({ databaseUrl: url.toString(), poolSize: 2 });
    await migrate(db);
    await bootstrap(db, OWNER_KEY);
    const config = loadConfig({
      DATA_DIR: dataDir,
      DATABASE_URL: url.toString(),
      ASSENT_DEMO: '0',
      LOG_LEVEL: 'silent',
      CHECKPOINT_INTERVAL: '0',
    });
    assent = await createAssent(config, { db, logger: false });
  });
  afterAll(async () => {
    await relay.cut();
    await assent?.close();
    await db?.close().catch(() => {});
  });

  const call = (method: 'GET' | 'POST', headers: Record<string, string> = {}, key = 'x') =>
    assent.app.inject({
      method,
      url: '/v1/brands',
      headers: { authorization: `Bearer ${OWNER_KEY}`, ...headers },
      ...(method === 'POST' ? { payload: { key, name: key } } : {}),
    });
  const brands = async () =>
    (
      await sql<{
        key: string;
      }>`SELECT key FROM catalog_objects WHERE kind = ${'brand'} ORDER BY key`.execute(db.kysely)
    ).rows.map((r) => r.key);

  it('answers 503 with Retry-After while it is gone, in words that fit the request, and serves again after', async () => {
    expect((await call('POST', {}, 'before')).statusCode).toBe(201);
    const port = relay.port;

    // a write whose connection is lost under it: it may have been recorded, and the client is told so
    relay.hold();
    const held = call('POST', { 'idempotency-key': 'held-1' }, 'held');
    await new Promise((r) => setTimeout(r, 200));
    await relay.cut();
    const lost = await held;
    expect(lost.statusCode).toBe(503);
    expect(lost.headers['content-type']).toContain('application/problem+json');
    expect(lost.headers['retry-after']).toBe('1');
    expect(lost.json()).toMatchObject({
      code: 'unavailable',
      detail: expect.stringContaining(
        'may or may not have been recorded: send it again with the same Idempotency-Key',
      ),
    });

    // no connection to be had: a write without a key is told to check, a read to retry
    await new Promise((r) => setTimeout(r, 100));
    const write = await call('POST', {}, 'during');
    expect(write.statusCode).toBe(503);
    expect(write.json().detail).toContain('check before sending it again');
    const read = await call('GET');
    expect(read.statusCode).toBe(503);
    expect(read.json().detail).toBe('The database cannot be reached just now: retry shortly');

    await relay.open(port);
    let after = await call('POST', {}, 'after');
    // a pooled connection that died with the relay may fail one more request, also as a 503
    if (after.statusCode === 503) after = await call('POST', {}, 'after');
    expect(after.statusCode).toBe(201);
    expect(await brands()).toEqual(['after', 'before']);
  });
});

/** The error of a first query through a fresh pool to `url` (null if it answers). */
async function firstQueryError(url: string): Promise<unknown> {
  const db = createDatabase({ databaseUrl: url, poolSize: 1 });
  try {
    await db.kysely.selectNoFrom(sql`1`.as('one')).execute();
    return null;
  } catch (err) {
    return err;
  } finally {
    await db.close();
  }
}

describe('what counts as the database out of reach', () => {
  it('a refused connection and node-postgres dropping one do; a bug or a bad value does not', async () => {
    const refused = await firstQueryError('postgres://x@127.0.0.1:1/none');
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(refused)).toBe(true);
    // a host name's addresses all refused, as Node reports them
    expect(isDatabaseUnavailable(new AggregateError([refused, refused]))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([refused, new TypeError('x')]))).toBe(false);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      severity: 'FATAL',
    });
    expect(isDatabaseUnavailable(shutdown)).toBe(true);
    // a protocol violation is a bug, not an outage: sending it again would fail again
    const protocol = Object.assign(new Error('bind message supplies 1 parameters'), {
      code: '08P01',
      severity: 'ERROR',
    });
    expect(isDatabaseUnavailable(protocol)).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(
      false,
    );
    const tooLong = Object.assign(new Error('value too long'), { code: '22001', severity: 'ERROR' });
    expect(isDatabaseUnavailable(tooLong)).toBe(false);
  });

  it('a TLS handshake the database side breaks off does too', async () => {
    // answers PostgreSQL's SSLRequest with yes, then closes before the handshake is done
    const peer = createServer((socket) => socket.once('data', () => socket.end('S', () => socket.destroy())));
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const { port } = peer.address() as AddressInfo;
    const err = await firstQueryError(`postgres://x@127.0.0.1:${port}/none?sslmode=verify-full`);
    await new Promise((resolve) => peer.close(resolve));
    expect(err).toMatchObject({ code: 'ECONNRESET', message: expect.stringMatching(/TLS/) });
    expect(err).not.toHaveProperty('syscall');
    expect(isDatabaseUnavailable(err)).toBe(true);
  });
});
