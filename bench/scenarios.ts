import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import SQLite from 'better-sqlite3';
import { checkBody } from './baselines.ts';
import { type LoadResult, random, runLoad } from './load.ts';
import { benchEmail } from './seed-ledger.ts';
import type { Child } from './server-process.ts';

export const CONNECTIONS = 50;
/** Each ingest request records this many decisions (a form: newsletter by email, and analytics). */
export const DECISIONS_PER_REQUEST = 2;

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

/** The catalog the seeded ledger and the check refer to, created through the API (a 409 means it is there). */
export async function createCatalog(server: Child, key: string): Promise<void> {
  const objects: [string, object][] = [
    ['/v1/brands', { key: 'acme', name: 'Acme' }],
    ['/v1/topics', { key: 'newsletter', name: 'Newsletter', channels: ['email'] }],
    ['/v1/purposes', { key: 'analytics', name: 'Analytics', legalBasis: 'consent', category: 'analytics' }],
  ];
  for (const [path, body] of objects) {
    const res = await fetch(server.url + path, {
      method: 'POST',
      headers: { ...auth(key), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201 && res.status !== 409) {
      throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
    }
  }
}

/** Whether the server has a route yet (another feature may still be in progress): anything but 404. */
export async function hasRoute(server: Child, key: string, path: string, body: string): Promise<boolean> {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { ...auth(key), 'content-type': path.includes('filter') ? 'text/csv' : 'application/json' },
    body,
  });
  await res.arrayBuffer();
  if (res.status === 404) return false;
  if (res.status >= 400) throw new Error(`POST ${path} answered ${res.status} to a valid request`);
  return true;
}

/** POST /v1/check from 50 clients; `seed` picks the identifiers, so that rounds can ask about different people. */
export function checkLoad(
  server: Child,
  key: string,
  subjects: number,
  seconds: number,
  seed = 7,
): Promise<LoadResult> {
  return runLoad({
    url: `${server.url}/v1/check`,
    connections: CONNECTIONS,
    seconds,
    headers: auth(key),
    body: checkBody(subjects, seed),
  });
}

/** A seed from a whole label (FNV-1a), so that loads with different labels pick different people. */
function seedOf(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** POST /v1/consents from 50 clients: half for new people, half appended to a seeded person's chain. */
export function ingestLoad(
  server: Child,
  key: string,
  opts: { label: string; subjects: number; seconds: number },
): Promise<LoadResult> {
  const rnd = random(seedOf(opts.label) + opts.subjects);
  let n = 0;
  return runLoad({
    url: `${server.url}/v1/consents`,
    connections: CONNECTIONS,
    seconds: opts.seconds,
    headers: auth(key),
    body: () => {
      n++;
      const email =
        n % 2 === 0
          ? `ingest-${opts.label}-${n}@bench.example`
          : benchEmail(Math.floor(rnd() * opts.subjects));
      return JSON.stringify({
        subject: { identifiers: [{ type: 'email', value: email }] },
        decisions: [
          { target: { type: 'topic', key: 'newsletter' }, channel: 'email', state: 'granted' },
          { target: { type: 'purpose', key: 'analytics' }, state: n % 3 === 0 ? 'denied' : 'granted' },
        ],
        source: 'form',
        evidence: { ipAddress: '203.0.113.9', language: 'en', userAgent: 'assent-bench' },
      });
    },
  });
}

export interface FilterResult {
  identifiers: number;
  allowed: number;
  seconds: number;
  rssBeforeMb: number;
  peakBeforeMb: number;
  peakAfterMb: number;
  /** Highest RSS sampled while the first half of the identifiers was sent, and then the second. */
  rssMaxFirstHalfMb: number;
  rssMaxSecondHalfMb: number;
  /** The same for the process's own (anonymous) memory, without mapped file pages. */
  anonBeforeMb: number;
  anonMaxFirstHalfMb: number;
  anonMaxSecondHalfMb: number;
}

function* identifierChunks(count: number, progress: { sent: number }): Generator<string> {
  const lines = 2000;
  for (let i = 0; i < count; i += lines) {
    progress.sent = i;
    let chunk = '';
    for (let j = i; j < Math.min(count, i + lines); j++) chunk += `${benchEmail(j)}\n`;
    yield chunk;
  }
}

/** Streams `count` emails to POST /v1/audiences/filter and counts the allowed ones streamed back. */
export async function audienceFilter(server: Child, key: string, count: number): Promise<FilterResult> {
  const mb = (kb: number) => Math.round(kb / 1024);
  const before = server.memory();
  // a streaming filter's memory stops growing: compare the two halves of the upload
  const progress = { sent: 0 };
  const rssMax = [before.rssKb, 0];
  const anonMax = [before.anonKb, 0];
  const sampler = setInterval(() => {
    const half = progress.sent < count / 2 ? 0 : 1;
    const now = server.memory();
    rssMax[half] = Math.max(rssMax[half], now.rssKb);
    anonMax[half] = Math.max(anonMax[half], now.anonKb);
  }, 100);
  const start = performance.now();
  try {
    const allowed = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/v1/audiences/filter?channel=email&topic=newsletter`, {
        method: 'POST',
        headers: { ...auth(key), 'content-type': 'text/csv' },
        timeout: 120_000,
      });
      req.on('timeout', () => req.destroy(new Error('audience filter timed out after 120 s')));
      req.on('error', reject);
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`audience filter answered ${res.statusCode}`));
          return;
        }
        let lines = 0;
        let head = '';
        res.on('data', (chunk: Buffer) => {
          if (head.length < 64) head += chunk.subarray(0, 64).toString();
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        });
        // the CSV answer starts with a header line
        res.on('end', () => resolve(head.startsWith('identifier\n') ? lines - 1 : lines));
        res.on('error', reject);
      });
      Readable.from(identifierChunks(count, progress)).pipe(req);
    });
    const after = server.memory();
    return {
      identifiers: count,
      allowed,
      seconds: (performance.now() - start) / 1000,
      rssBeforeMb: mb(before.rssKb),
      peakBeforeMb: mb(before.peakKb),
      peakAfterMb: mb(after.peakKb),
      rssMaxFirstHalfMb: mb(rssMax[0]),
      rssMaxSecondHalfMb: mb(Math.max(rssMax[1], after.rssKb)),
      anonBeforeMb: mb(before.anonKb),
      anonMaxFirstHalfMb: mb(anonMax[0]),
      anonMaxSecondHalfMb: mb(Math.max(anonMax[1], after.anonKb)),
    };
  } finally {
    clearInterval(sampler);
  }
}

/** Raw baselines read at most this many rows: a rate, sampled. */
const RAW_SAMPLE = 250_000;

/**
 * The filter's floor: the same lookups done directly with better-sqlite3 on the server's file
 * (a sample of them, for the rate), and how many of the streamed identifiers are allowed.
 */
export function rawFilterLookups(
  file: string,
  workspaceId: string,
  count: number,
): { perSecond: number; allowed: number } {
  const db = new SQLite(file, { readonly: true });
  const join = `subject_identifiers i JOIN consent_state s
      ON s.workspace_id = i.workspace_id AND s.subject_id = i.subject_id AND s.target_type = 'topic'
     AND s.target_key = 'newsletter' AND s.channel = 'email' AND s.scope_type = 'workspace' AND s.scope_key = ''
   WHERE i.workspace_id = ? AND i.type = 'email'`;
  try {
    const stmt = db.prepare<[string, string], { state: string }>(
      `SELECT s.state FROM ${join} AND i.value = ?`,
    );
    const sample = Math.min(count, RAW_SAMPLE);
    const start = performance.now();
    for (let i = 0; i < sample; i++) stmt.get(workspaceId, benchEmail(i));
    const perSecond = sample / ((performance.now() - start) / 1000);
    // every seeded person (user0..) is in the stream; people created by the ingest runs are not
    const { n } = db
      .prepare<[string], { n: number }>(
        `SELECT count(*) AS n FROM ${join} AND i.value LIKE 'user%@bench.example' AND s.state = 'granted'`,
      )
      .get(workspaceId) ?? { n: 0 };
    return { perSecond, allowed: n };
  } finally {
    db.close();
  }
}

/** Verification's floor: read records in chain order and SHA-256 each, nothing else (a sample). */
export function rawLedgerScan(file: string): number {
  const db = new SQLite(file, { readonly: true });
  try {
    const start = performance.now();
    let n = 0;
    const rows = db
      .prepare('SELECT * FROM consent_records ORDER BY subject_id, seq LIMIT ?')
      .iterate(RAW_SAMPLE);
    for (const row of rows) {
      createHash('sha256').update(JSON.stringify(row)).digest('hex');
      n++;
    }
    return n / ((performance.now() - start) / 1000);
  } finally {
    db.close();
  }
}
