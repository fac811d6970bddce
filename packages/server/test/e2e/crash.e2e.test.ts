import { afterEach, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from '../support/server-process.ts';
import { freshDatabaseUrl, testDatabases } from '../support/test-database.ts';

const KEY = 'assent_sk_crash_test_bootstrap_key_0123456789';

describe.each(testDatabases())('a real server process on %s', (kind) => {
  let server: ServerProcess | null = null;
  afterEach(() => {
    server?.child.kill('SIGKILL');
    server = null;
  });

  const env = async () => {
    const where = await freshDatabaseUrl(kind);
    return {
      DATA_DIR: where.dataDir,
      ASSENT_BOOTSTRAP_KEY: KEY,
      ...(where.databaseUrl ? { DATABASE_URL: where.databaseUrl } : {}),
    };
  };
  const post = (url: string, i: number) =>
    fetch(`${url}/v1/consents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        subject: { identifiers: [{ type: 'email', value: `burst${i % 40}@example.com` }] },
        decisions: [
          {
            target: { type: 'channel', key: i % 2 ? 'email' : 'sms' },
            state: i % 3 ? 'granted' : 'withdrawn',
          },
        ],
        source: 'api',
      }),
    });

  // two process starts, a burst and a re-read of every write: slow on a loaded machine
  it('keeps every write it answered 201 through kill -9, and the ledger verifies', async () => {
    const vars = await env();
    server = await startServerProcess(vars);
    const acknowledged: string[] = [];
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop && n < 20_000) {
        const i = n++;
        try {
          const res = await post(server!.url, i);
          if (res.status === 201)
            acknowledged.push(...(await res.json()).records.map((r: { id: string }) => r.id));
        } catch {
          return; // the server is gone
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    // kill it mid-burst, once a fair number of writes has been acknowledged (however loaded the machine)
    const deadline = Date.now() + 20_000;
    await new Promise((r) => setTimeout(r, 1000));
    while (acknowledged.length < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    server.child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await server.exited;
    expect(acknowledged.length).toBeGreaterThan(20);

    server = await startServerProcess(vars);
    const auth = { authorization: `Bearer ${KEY}` };
    for (const id of acknowledged) {
      const res = await fetch(`${server.url}/v1/consent-records/${id}`, { headers: auth });
      expect(res.status, id).toBe(200);
    }
    const verify = await (await fetch(`${server.url}/v1/ledger/verify`, { headers: auth })).json();
    expect(verify.ok, JSON.stringify(verify.firstProblem)).toBe(true);
    expect(verify.records).toBeGreaterThanOrEqual(acknowledged.length);
  }, 120_000);

  it('drains in-flight requests on SIGTERM and exits 0', async () => {
    server = await startServerProcess(await env());
    const inflight = Array.from({ length: 20 }, (_, i) =>
      post(server!.url, i).then(
        (r) => r.status,
        () => 'refused',
      ),
    );
    // once the server answers the first, the others are on their way or being handled (on a busy
    // machine a fixed wait could end before any of them reached it)
    await Promise.race(inflight);
    server.child.kill('SIGTERM');
    const statuses = await Promise.all(inflight);
    expect(await server.exited).toBe(0);
    // every request that reached the server got its answer
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 201 || s === 'refused' || s === 503)).toBe(true);
  });
});
