import { hash } from 'node:crypto';
import SQLite from 'better-sqlite3';
import type { RecordRow } from '../consents/consent-store.ts';
import {
  type ChainHead,
  type ChainsReport,
  createChainCheck,
  type SubjectRange,
} from './ledger-chain-check.ts';

const q = (column: string) => `json_quote(${column})`;
/**
 * `hashInputWithEvidence` (core/ledger-hash.ts) built by SQLite, keys in the same order. Turning
 * a row's eighteen columns into JavaScript values costs more than reading and hashing it, so a
 * row crosses as this one string. json_quote escapes text exactly as JSON.stringify does, code
 * point by code point (ledger-verify-sqlite.test.ts checks every one), and a mismatch is always
 * confirmed with core's own hashing before it is reported.
 */
export const HASH_INPUT_SQL = [
  `'{"channel":' || ${q('channel')}`,
  `',"evidence":' || evidence`,
  `',"expiresAt":' || ${q('expires_at')}`,
  `',"id":' || ${q('id')}`,
  `',"legalBasis":' || ${q('legal_basis')}`,
  `',"occurredAt":' || ${q('occurred_at')}`,
  `',"prevHash":' || ${q('prev_hash')}`,
  `',"recordedAt":' || ${q('recorded_at')}`,
  `',"scopeKey":' || ${q('scope_key')}`,
  `',"scopeType":' || ${q('scope_type')}`,
  `',"seq":' || ${q('seq')}`,
  `',"source":' || ${q('source')}`,
  `',"state":' || ${q('state')}`,
  `',"subjectId":' || ${q('subject_id')}`,
  `',"targetKey":' || ${q('target_key')}`,
  `',"targetType":' || ${q('target_type')}`,
  `',"v":1,"workspaceId":' || ${q('workspace_id')} || '}'`,
].join(' || ');

/**
 * Imported on first use: a verification thread then loads without core and the server code it
 * pulls in, which is most of its start-up, and only an unconfirmed record needs them.
 */
async function coreVerdict(): Promise<(row: RecordRow) => boolean> {
  const [{ hashStoredRecord }, { toLedgerFields }] = await Promise.all([
    import('@assent/core'),
    import('../consents/consent-store.ts'),
  ]);
  return (row) => hashStoredRecord(toLedgerFields(row), row.evidence) === row.hash;
}

const BATCH = 5000;
/** The server's page cache size: reading in index order looks every row up in the table's b-tree. */
const CACHE_KIB = 64 * 1024;

type Row = [
  rowid: number,
  id: string,
  subjectId: string,
  seq: number,
  prevHash: string | null,
  hash: string,
  input: string | null,
];

/**
 * Reads a SQLite ledger through its own read-only connection with raw better-sqlite3 statements:
 * rows as arrays in (subject_id, seq) index order, no query builder between them. Each range is
 * read in one transaction, so every chain comes from one snapshot; batches are read whole, and
 * the event loop gets a turn between them.
 */
export function openLedgerReader(file: string, workspaceId: string | null) {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma(`cache_size = ${-CACHE_KIB}`);
  const statements = new Map<string, SQLite.Statement>();
  const prepare = (source: string) => {
    let stmt = statements.get(source);
    if (!stmt) {
      stmt = db.prepare(source);
      statements.set(source, stmt);
    }
    return stmt;
  };
  const byRowid = db.prepare('SELECT * FROM consent_records WHERE rowid = ?');
  /** core's own verdict on a record the SQL-built input did not confirm. */
  const confirm = async (rowid: number) => {
    const row = byRowid.get(rowid) as RecordRow;
    return (await coreVerdict())(row);
  };

  async function verifyRange(range: SubjectRange, onRecords: (n: number) => void): Promise<ChainsReport> {
    const params: Record<string, string | number> = {};
    const where = (column: string, extra: string[]) => {
      const terms = [...extra];
      if (range.after !== null) terms.push(`${column} > @after`);
      if (range.through !== null) terms.push(`${column} <= @through`);
      if (workspaceId) terms.push('workspace_id = @ws');
      return terms.length ? `WHERE ${terms.join(' AND ')}` : '';
    };
    if (range.after !== null) params.after = range.after;
    if (range.through !== null) params.through = range.through;
    if (workspaceId) params.ws = workspaceId;
    const batch = (input: string, keyset: boolean) =>
      prepare(
        `SELECT rowid, id, subject_id, seq, prev_hash, hash, ${input} FROM consent_records ` +
          `${where('subject_id', keyset ? ['(subject_id, seq) > (@s, @q)'] : [])} ` +
          `ORDER BY subject_id, seq LIMIT ${BATCH}`,
      ).raw();

    db.exec('BEGIN');
    try {
      const heads = prepare(
        `SELECT id, ledger_seq, ledger_head FROM subjects ${where('id', ['ledger_seq > 0'])} ORDER BY id`,
      ).all(params) as ChainHead[];
      const check = createChainCheck(heads);
      let last: Row | null = null;
      for (;;) {
        const at = last ? { ...params, s: last[2], q: last[3] } : params;
        let rows: Row[];
        try {
          rows = batch(HASH_INPUT_SQL, last !== null).all(at) as Row[];
        } catch {
          // a value SQL cannot quote (a BLOB written over a text column): core hashes this batch
          rows = batch('NULL', last !== null).all(at) as Row[];
        }
        for (const [rowid, id, subjectId, seq, prevHash, stored, input] of rows) {
          const matches =
            (input !== null && hash('sha256', input, 'hex') === stored) || (await confirm(rowid));
          check.record({ id, subjectId, seq: Number(seq), prevHash, hash: stored }, matches);
        }
        onRecords(rows.length);
        if (rows.length < BATCH) return check.finish();
        last = rows[rows.length - 1];
        await new Promise(setImmediate);
      }
    } finally {
      db.exec('COMMIT');
    }
  }

  return { verifyRange, close: () => db.close() };
}
