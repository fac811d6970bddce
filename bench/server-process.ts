import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../packages/server/test/support/pg-cluster.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

export interface Child {
  name: string;
  url: string;
  /** The node process doing the work (tsx runs the script in a child of its own). */
  pid: number;
  memory(): { rssKb: number; peakKb: number; anonKb: number };
  stop(): Promise<void>;
}

const live = new Set<{ proc: ChildProcess; pid: () => number }>();

// last resort: a crash of the bench must not leave servers behind
process.on('exit', () => {
  for (const c of live) {
    for (const pid of new Set([c.proc.pid, c.pid()])) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
});

function innerPid(pid: number): number {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    const first = Number(kids[0]);
    return Number.isInteger(first) && first > 0 ? first : pid;
  } catch {
    return pid;
  }
}

/**
 * VmRSS, VmHWM (peak resident set) and RssAnon (the process's own memory: heap, buffers; not
 * the pages of files it maps, such as a memory-mapped SQLite file) of a process, in kB.
 */
export function processMemory(pid: number): { rssKb: number; peakKb: number; anonKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rssKb: field('VmRSS'), peakKb: field('VmHWM'), anonKb: field('RssAnon') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a TypeScript entry point with tsx on a free 127.0.0.1 port and waits until
 * `readyPath` answers 200. Output is kept (last lines) to explain a failed start.
 */
export async function startChild(opts: {
  name: string;
  args: string[];
  env: Record<string, string | undefined>;
  readyPath: string;
}): Promise<Child> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, PORT: String(port), HOST: '127.0.0.1' };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const proc = spawn(TSX, opts.args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let exited = false;
  proc.once('exit', () => {
    exited = true;
  });
  let pid = proc.pid ?? 0;
  const entry = { proc, pid: () => pid };
  live.add(entry);
  const url = `http://127.0.0.1:${port}`;

  const innerGone = () => pid === proc.pid || !existsSync(`/proc/${pid}`);
  const stop = async () => {
    // signal the server itself (the tsx wrapper follows it out), and give it time to drain
    if (!innerGone()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
    } else if (!exited) proc.kill('SIGTERM');
    const until = Date.now() + STOP_TIMEOUT_MS;
    while ((!exited || !innerGone()) && Date.now() < until) await sleep(50);
    if (!exited) proc.kill('SIGKILL');
    if (!innerGone()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    live.delete(entry);
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      live.delete(entry);
      throw new Error(`${opts.name} exited during start:\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${opts.name} did not become ready in ${READY_TIMEOUT_MS / 1000}s:\n${output}`);
    }
    const ok = await fetch(url + opts.readyPath).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await sleep(100);
  }
  pid = innerPid(proc.pid ?? 0);
  return { name: opts.name, url, pid, memory: () => processMemory(pid), stop };
}

export interface AssentOptions {
  dataDir: string;
  bootstrapKey: string;
  databaseUrl?: string;
  /** WORKERS: HTTP worker processes (default 1). */
  workers?: number;
}

/** The real server, as an operator starts it: `tsx packages/cli/src/main.ts serve`. */
export function startAssent(opts: AssentOptions): Promise<Child> {
  return startChild({
    name: `assent (${opts.databaseUrl ? 'postgres' : 'sqlite'}, WORKERS=${opts.workers ?? 1})`,
    args: ['packages/cli/src/main.ts', 'serve'],
    env: {
      DATA_DIR: opts.dataDir,
      DATABASE_URL: opts.databaseUrl,
      ASSENT_BOOTSTRAP_KEY: opts.bootstrapKey,
      ASSENT_DEMO: '0',
      LOG_LEVEL: 'warn',
      CHECKPOINT_INTERVAL: '0',
      WORKERS: String(opts.workers ?? 1),
    },
    readyPath: '/readyz',
  });
}

/** Stops every child still running; used on the way out, also after an error. */
export async function stopAllChildren(): Promise<void> {
  for (const c of [...live]) {
    c.proc.kill('SIGTERM');
    const pid = c.pid();
    await sleep(500);
    for (const p of new Set([c.proc.pid, pid])) {
      if (p && existsSync(`/proc/${p}`)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {}
      }
    }
    live.delete(c);
  }
}
