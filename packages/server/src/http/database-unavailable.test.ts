import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabaseUrl, testDatabases } from '../../test/support/test-database.ts';
import { OWNER_KEY } from '../../test/support/test-server.ts';
import { bootstrap } from '../bootstrap.ts';
import { loadConfig } from '../config.ts';
import { createDatabase, type Db, migrate } from '../db/database.ts';
import { databaseUnavailable } from '../db/database-unavailable.ts';
import { type Server as Assent, createServer as createAssent } from '../server.ts';

/** A TCP relay to PostgreSQL that the test can cut (every connection reset, new ones refused) and mend. */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async open(port = 0) {
    this.server = createServer((client) => {
      const upstream = connect(this.target);
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

  const createBrand = (key: string) =>
    assent.app.inject({
      method: 'POST',
      url: '/v1/brands',
      headers: { authorization: `Bearer ${OWNER_KEY}` },
      payload: { key, name: key },
    });

  it('answers 503 with Retry-After while it is gone, writes nothing, and serves again when it is back', async () => {
    expect((await createBrand('before')).statusCode).toBe(201);
    const port = relay.port;
    await relay.cut();

    const during = await createBrand('during');
    expect(during.statusCode).toBe(503);
    expect(during.headers['content-type']).toContain('application/problem+json');
    expect(during.headers['retry-after']).toBe('1');
    // on a pooled connection reset under it, it cannot know whether the write went through; on a new
    // one, refused, nothing was done
    expect(during.json()).toMatchObject({
      code: 'unavailable',
      detail: expect.stringMatching(/Idempotency-Key|nothing was done/),
    });
    // once the pool has dropped its dead connections, none can be had: nothing was done
    await new Promise((r) => setTimeout(r, 200));
    const refused = await createBrand('refused');
    expect(refused.statusCode).toBe(503);
    expect(refused.json().detail).toContain('nothing was done');

    await relay.open(port);
    let after = await createBrand('after');
    // a pooled connection that died with the relay may fail one more request, also as a 503
    if (after.statusCode === 503) after = await createBrand('after');
    expect(after.statusCode).toBe(201);
    const keys = await sql<{
      key: string;
    }>`SELECT key FROM catalog_objects WHERE kind = ${'brand'} ORDER BY key`.execute(db.kysely);
    expect(keys.rows.map((r) => r.key)).toEqual(['after', 'before']);
  });
});

describe('what counts as the database out of reach', () => {
  it('a refused connection and node-postgres dropping one do; a bug or a bad value does not', async () => {
    const nowhere = createDatabase({ databaseUrl: 'postgres://x@127.0.0.1:1/none', poolSize: 1 });
    const refused = await nowhere.kysely
      .selectNoFrom(sql`1`.as('one'))
      .execute()
      .then(
        () => null,
        (e: unknown) => e,
      );
    await nowhere.close();
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    expect(databaseUnavailable(refused)).toBe('unreachable');
    expect(databaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe('lost');
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      severity: 'FATAL',
    });
    expect(databaseUnavailable(shutdown)).toBe('lost');
    expect(databaseUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(
      undefined,
    );
    const tooLong = Object.assign(new Error('value too long'), { code: '22001', severity: 'ERROR' });
    expect(databaseUnavailable(tooLong)).toBe(undefined);
  });
});
