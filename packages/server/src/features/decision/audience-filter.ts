import { StringDecoder } from 'node:string_decoder';
import {
  AssentError,
  type Decision,
  type Identifier,
  isIdentifierType,
  normalizeIdentifier,
  type Question,
} from '@assent/core';
import type { PreparedCheck } from './decision-service.ts';

export type AudienceFormat = 'csv' | 'ndjson';

export interface AudienceOptions {
  format: AudienceFormat;
  question: Question;
  /** Answer every valid line with its reason, not only the allowed ones. */
  includeDenied: boolean;
  /** The type of CSV values, and of NDJSON lines that do not name one. */
  identifierType: string;
  /** Identifiers decided per round of queries. */
  chunkSize?: number;
  /** The most the body may send (MAX_AUDIENCE_BYTES by default); past it, a 413. */
  maxBytes?: number;
  /** Runs one chunk of checks (no explanations). */
  evaluate(checks: PreparedCheck[]): Promise<Decision[]>;
}

export interface AudienceStats {
  lines: number;
  allowed: number;
  denied: number;
  invalid: number;
}

const MAX_LINE = 64 * 1024;
/** The most an audience may send, as the route's body limit (the stream is read here, not by Fastify). */
export const MAX_AUDIENCE_BYTES = 1024 * 1024 * 1024;

/**
 * Splits a byte stream into lines, a batch per chunk read (pulling, so the request is read at our
 * pace). A line longer than 64 KiB is yielded once, cut (and then reported as invalid), and the
 * rest of it is dropped up to its newline, so the lines after it keep their numbers.
 */
export async function* linesOf(
  body: AsyncIterable<Buffer | string>,
  maxBytes = MAX_AUDIENCE_BYTES,
): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let read = 0;
  let skipping = false;
  for await (const chunk of body) {
    read += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (read > maxBytes)
      throw new AssentError('payload_too_large', `An audience may send at most ${maxBytes} bytes`);
    let text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    rest = '';
    if (skipping) {
      const nl = text.indexOf('\n');
      if (nl < 0) continue;
      text = text.slice(nl + 1);
      skipping = false;
    }
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    if (rest.length > MAX_LINE) {
      lines.push(rest);
      rest = '';
      skipping = true;
    }
    if (lines.length) yield lines;
  }
  rest += decoder.end();
  if (rest && !skipping) yield [rest];
}

/** The first field of a CSV line, unquoted. */
function firstCsvField(line: string): string {
  if (!line.startsWith('"')) {
    const comma = line.indexOf(',');
    return (comma < 0 ? line : line.slice(0, comma)).trim();
  }
  let out = '';
  for (let i = 1; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      if (line[i + 1] === '"') {
        out += '"';
        i++;
      } else return out.trim();
    } else out += c;
  }
  throw new AssentError('invalid_identifier', 'Unterminated quoted field');
}

function ndjsonIdentifier(line: string, defaultType: string): { type: string; value: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new AssentError('bad_request', 'Not a JSON object');
  }
  if (typeof v === 'string') return { type: defaultType, value: v };
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new AssentError('bad_request', 'Not a JSON object');
  const o = v as Record<string, unknown>;
  if (typeof o.type === 'string' && typeof o.value === 'string') return { type: o.type, value: o.value };
  if (typeof o.identifier === 'string') return { type: defaultType, value: o.identifier };
  const keys = Object.keys(o).filter((k) => isIdentifierType(k) && typeof o[k] === 'string');
  if (keys.length === 1) return { type: keys[0], value: o[keys[0]] as string };
  throw new AssentError(
    'bad_request',
    'Write each line as {"type":"email","value":"..."} or {"email":"..."}',
  );
}

/** A header's name as compared: lower case, letters and digits only ("Customer ID" is customerid). */
const headerName = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Whether a CSV line ends inside a quoted field, given whether it began inside one. A quote opens
 * a field only at the field's start (RFC 4180); elsewhere it is a character like any other, so a
 * stray quote in an unquoted field does not swallow the lines after it.
 */
function endsInQuotes(line: string, inQuotes: boolean): boolean {
  let open = inQuotes;
  let fieldStart = !inQuotes;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (open) {
      if (c === '"') {
        if (line[i + 1] === '"') i++;
        else open = false;
      }
    } else if (c === '"' && fieldStart) open = true;
    fieldStart = !open && c === ',';
  }
  return open;
}

const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

type Pending = { line: number; shown: string; identifier: Identifier } | { line: number; error: string };

/**
 * Filters an audience: one identifier per line in, the allowed ones (or all, with reasons) out,
 * in the same format. Works chunk by chunk, so memory stays flat whatever the size; a bad line is
 * reported (NDJSON) or counted (CSV) and the stream goes on.
 */
export async function* filterAudience(
  body: AsyncIterable<Buffer | string>,
  opts: AudienceOptions,
  stats: AudienceStats,
): AsyncGenerator<string> {
  const chunkSize = opts.chunkSize ?? 1000;
  const csv = opts.format === 'csv';
  const headers = new Set(
    ['identifier', 'email', 'emailaddress', 'phone', 'phonenumber', opts.identifierType]
      .concat(opts.identifierType.split(':').slice(1))
      .map(headerName),
  );
  // a quoted CSV field may hold line breaks (RFC 4180): its record goes on over the next lines
  let open: string | null = null;
  let overflowing = false;
  // the CSV header line goes out once the first chunk is decided: until then an error is still a problem+json
  let head = csv ? (opts.includeDenied ? 'identifier,allowed,reason\n' : 'identifier\n') : '';
  const out = (text: string) => {
    const all = head + text;
    head = '';
    return all;
  };
  let pending: Pending[] = [];
  let valid = 0;
  let lineNo = 0;
  let seenData = false;

  async function flush(): Promise<string> {
    const items = pending;
    pending = [];
    valid = 0;
    const checks: PreparedCheck[] = [];
    for (const p of items)
      if ('identifier' in p) checks.push({ subject: { identifier: p.identifier }, question: opts.question });
    const decisions = checks.length ? await opts.evaluate(checks) : [];
    let out = '';
    let k = 0;
    for (const p of items) {
      if (!('identifier' in p)) {
        if (!csv) out += `${JSON.stringify({ line: p.line, error: p.error })}\n`;
        continue;
      }
      const d = decisions[k++];
      if (d.allowed) stats.allowed++;
      else stats.denied++;
      if (!d.allowed && !opts.includeDenied) continue;
      if (csv)
        out += opts.includeDenied
          ? `${csvCell(p.shown)},${d.allowed},${d.reason}\n`
          : `${csvCell(p.shown)}\n`;
      else
        out += `${JSON.stringify({ type: p.identifier.type, identifier: p.shown, allowed: d.allowed, reason: d.reason })}\n`;
    }
    return out;
  }

  for await (const lines of linesOf(body, opts.maxBytes)) {
    for (const raw of lines) {
      lineNo++;
      const unbommed = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      let line = unbommed.endsWith('\r') ? unbommed.slice(0, -1) : unbommed;
      if (csv) {
        // the rest of a quoted field whose record was already reported too long
        if (overflowing) {
          overflowing = endsInQuotes(line, true);
          continue;
        }
        const record: string = open === null ? line : `${open}\n${line}`;
        const stillOpen = endsInQuotes(line, open !== null);
        open = null;
        if (stillOpen) {
          if (record.length <= MAX_LINE) {
            open = record;
            continue;
          }
          overflowing = true;
        }
        line = record;
      }
      if (line.trim() === '') continue;
      stats.lines++;
      try {
        if (line.length > MAX_LINE) throw new AssentError('bad_request', 'The line is too long');
        let input: { type: string; value: string };
        if (csv) {
          const value = firstCsvField(line);
          if (!seenData && headers.has(headerName(value))) {
            seenData = true;
            stats.lines--;
            continue;
          }
          input = { type: opts.identifierType, value };
        } else input = ndjsonIdentifier(line, opts.identifierType);
        seenData = true;
        pending.push({ line: lineNo, shown: input.value.trim(), identifier: normalizeIdentifier(input) });
        valid++;
      } catch (err) {
        if (!(err instanceof AssentError)) throw err;
        seenData = true;
        stats.invalid++;
        pending.push({ line: lineNo, error: err.message });
      }
      if (valid >= chunkSize || pending.length >= chunkSize * 4) {
        // the first chunk decided sends the CSV header even without answers: the client hears early
        const answers = out(await flush());
        if (answers) yield answers;
      }
    }
  }
  if (open !== null) {
    // the stream ended inside a quoted field
    stats.lines++;
    stats.invalid++;
    pending.push({ line: lineNo, error: 'Unterminated quoted field' });
  }
  const answers = pending.length ? await flush() : '';
  const last = out(answers);
  if (last) yield last;
}
