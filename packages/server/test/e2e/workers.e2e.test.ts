import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from '../support/server-process.ts';
import { freshDatabaseUrl, testDatabases } from '../support/test-database.ts';

const KEY = 'assent_sk_workers_test_bootstrap_key_0123456789';
const auth = { authorization: `Bearer ${KEY}` };

/** The worker processes of a primary: its direct children. */
const workersOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function until<T>(what: string, probe: () => T | undefined | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(testDatabases())('WORKERS=2 on %s', (kind) => {
  let server: ServerProcess | null = null;
  afterEach(() => {
    const pid = server?.child.pid;
    if (pid) for (const w of workersOf(pid)) process.kill(w, 'SIGKILL');
    server?.child.kill('SIGKILL');
    server = null;
  });

  // three process starts and a restart: slow on a loaded machine, so a generous limit
  it('serves from two processes that write one ledger, replaces a dead worker, drains on SIGTERM', async () => {
    const where = await freshDatabaseUrl(kind);
    server = await startServerProcess({
      WORKERS: '2',
      DATA_DIR: where.dataDir,
      ASSENT_BOOTSTRAP_KEY: KEY,
      ...(where.databaseUrl ? { DATABASE_URL: where.databaseUrl } : {}),
    });
    const primary = server.child.pid as number;
    const first = await until('two workers', () => workersOf(primary).length === 2 && workersOf(primary));
    await until('the start-up lines', () => server?.output().includes('2 worker processes'));

    // concurrent writes land on both workers (one connection each), and all of them are kept
    const post = (i: number) =>
      fetch(`${server!.url}/v1/consents`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({
          subject: { identifiers: [{ type: 'email', value: `w${i % 25}@example.com` }] },
          decisions: [{ target: { type: 'channel', key: 'email' }, state: i % 2 ? 'granted' : 'withdrawn' }],
          source: 'api',
        }),
      }).then((r) => r.status);
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        for (let i = c; i < 160; i += 8) statuses.push(await post(i));
      }),
    );
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    const verify = await (await fetch(`${server.url}/v1/ledger/verify`, { headers: auth })).json();
    expect(verify.ok, JSON.stringify(verify.firstProblem)).toBe(true);
    expect(verify.records).toBe(160);

    // a worker killed outright is replaced, and the server answers meanwhile
    process.kill(first[0], 'SIGKILL');
    const replaced = await until('a replacement worker', () => {
      const now = workersOf(primary);
      return now.length === 2 && !now.includes(first[0]) && now;
    });
    await until('the replacement listening', () => server?.output().includes('starting a new one'));
    const check = await fetch(`${server.url}/v1/check`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        subject: { identifier: { type: 'email', value: 'w1@example.com' } },
        channel: 'email',
      }),
    });
    expect(check.status).toBe(200);

    // SIGTERM to the primary: every worker drains and exits, then the primary exits 0
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    for (const pid of replaced) expect(alive(pid), `worker ${pid}`).toBe(false);
  }, 90_000);
});
