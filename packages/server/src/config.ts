import { resolve } from 'node:path';
import { DEFAULT_POOL_SIZE } from './db/database.ts';
import { MAX_AUDIENCE_BYTES } from './features/decision/audience-filter.ts';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** `postgres://...` selects PostgreSQL; otherwise SQLite at `<dataDir>/assent.db`. */
  databaseUrl: string | null;
  /** PostgreSQL connections per server process. */
  databasePoolSize: number;
  /** SQLite page cache per connection, in MiB. */
  sqliteCacheMb: number;
  /** Processes serving HTTP (1: the server process itself; more: a primary and its workers). */
  workers: number;
  /** How much of the SQLite file is read through memory mapping, in MiB (0: none). */
  sqliteMmapMb: number;
  publicUrl: string;
  bootstrapKey: string | null;
  demo: boolean;
  smtpUrl: string | null;
  mailFrom: string;
  /** PEM of an Ed25519 private key; else one is generated and kept in dataDir. */
  signingKey: string | null;
  bodyLimit: number;
  logLevel: string;
  /** Seconds between ledger checkpoints (0 disables the background job). */
  checkpointInterval: number;
  /** Collect API writes per minute per IP and property (reads: ten times as many). */
  collectRateLimit: number;
  /** Audience filters one server process runs at once; another gets a 429. */
  audienceFilters: number;
  /** Seconds an audience upload may send nothing before it is cut (408). */
  audienceIdleSeconds: number;
  /** The largest audience upload in bytes (413 past it). */
  audienceMaxBytes: number;
  /**
   * Behind reverse proxies: how many hops (a number) or which proxy addresses (IPs or CIDRs,
   * comma-separated) to trust in X-Forwarded-For; false trusts none.
   */
  trustProxy: false | number | string;
  /** Keep full IP addresses instead of truncating them (default: truncate). */
  keepFullIp: boolean;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function trustProxyOf(raw: string | undefined): false | number | string {
  if (!raw || raw === '0') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw.split(',').map((s) => s.trim());
  if (list.some((a) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(a))) {
    throw new Error(
      `TRUST_PROXY must be a hop count or proxy addresses (IPs or CIDRs, comma-separated), got "${raw}"`,
    );
  }
  return list.join(',');
}

/** The only place that reads the environment; called once by the entry point. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(
      'DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite database)',
    );
  }
  const config: Config = {
    port,
    host,
    dataDir: resolve(env.DATA_DIR || './data'),
    databaseUrl,
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', DEFAULT_POOL_SIZE, 1, 1000),
    sqliteCacheMb: int(env, 'SQLITE_CACHE_MB', 64, 2, 65536),
    sqliteMmapMb: int(env, 'SQLITE_MMAP_MB', 4096, 0, 1048576),
    workers: int(env, 'WORKERS', 1, 1, 256),
    publicUrl: (env.PUBLIC_URL || `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`).replace(
      /\/$/,
      '',
    ),
    bootstrapKey: env.ASSENT_BOOTSTRAP_KEY || null,
    demo: env.ASSENT_DEMO !== '0',
    smtpUrl: env.SMTP_URL || null,
    mailFrom: env.MAIL_FROM || 'Assent <no-reply@localhost>',
    signingKey: env.ASSENT_SIGNING_KEY || null,
    bodyLimit: int(env, 'BODY_LIMIT', 1024 * 1024, 1024),
    logLevel: env.LOG_LEVEL || 'info',
    checkpointInterval: int(env, 'CHECKPOINT_INTERVAL', 300, 0),
    keepFullIp: env.ASSENT_KEEP_FULL_IP === '1',
    collectRateLimit: int(env, 'COLLECT_RATE_LIMIT', 120, 1),
    audienceFilters: int(env, 'AUDIENCE_FILTERS', 2, 1, 1000),
    audienceIdleSeconds: int(env, 'AUDIENCE_IDLE_SECONDS', 60, 1, 86400),
    audienceMaxBytes: int(env, 'AUDIENCE_MAX_BYTES', MAX_AUDIENCE_BYTES, 1024, MAX_AUDIENCE_BYTES),
    trustProxy: trustProxyOf(env.TRUST_PROXY),
    ...overrides,
  };
  if (config.bootstrapKey && config.bootstrapKey.length < 24) {
    throw new Error('ASSENT_BOOTSTRAP_KEY must be at least 24 characters');
  }
  return config;
}
