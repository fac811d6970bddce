// The baselines' HTTP server, run as its own child process: a bare Fastify route answering
// a constant (mode "constant") or doing one indexed SQLite lookup (mode "sqlite"). With WORKERS
// above 1, that many cluster workers share the port, each with its own copy of the table.
import cluster from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';

const mode = process.argv[2] === 'sqlite' ? 'sqlite' : 'constant';
const rows = Number(process.argv[3] ?? 250_000);
const port = Number(process.env.PORT);
const workers = Number(process.env.WORKERS ?? 1);

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  const stopAll = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', stopAll);
  process.on('SIGINT', stopAll);
} else {
  await serve();
}

async function serve() {
  type CheckBody = { subject?: { identifier?: { value?: string } } };

  let lookup: (email: string) => string | undefined = () => undefined;
  let cleanup = () => {};
  if (mode === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'assent-bench-b-'));
    const db = new SQLite(join(dir, 'baseline.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE consent (email TEXT NOT NULL, state TEXT NOT NULL)');
    db.exec('CREATE UNIQUE INDEX consent_email ON consent (email)');
    const insert = db.prepare('INSERT INTO consent (email, state) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < rows; i++)
        insert.run(`user${i}@bench.example`, i % 5 === 0 ? 'withdrawn' : 'granted');
    })();
    const select = db.prepare<[string], { state: string }>('SELECT state FROM consent WHERE email = ?');
    lookup = (email) => select.get(email)?.state;
    cleanup = () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    };
  }

  const app = Fastify({ logger: false });
  app.get('/ready', async () => ({ ok: true }));
  app.post('/check', async (req) => {
    if (mode === 'constant') return { allowed: false, reason: 'no_consent' };
    const state = lookup((req.body as CheckBody).subject?.identifier?.value ?? '');
    return { allowed: state === 'granted', reason: state ?? 'no_consent' };
  });

  const stop = async () => {
    await app.close();
    cleanup();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  await app.listen({ port, host: '127.0.0.1' });
}
