import type { AudienceQuery, AudienceResult, InvalidAudienceLine } from './decision-types.ts';
import type { Http } from './http.ts';

export type IdentifierSource = AsyncIterable<string> | Iterable<string>;

interface Sent {
  line: number;
  identifier: string;
}

/** A queue of the identifiers sent and not yet answered; the server answers in order. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  push(item: T) {
    this.items.push(item);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

const BATCH_CHARS = 64 * 1024;

const yieldToEventLoop = () =>
  new Promise<void>((resolve) => (globalThis.setImmediate ?? setTimeout)(() => resolve()));

const csvCell = (s: string) => (/[",]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** `identifier,allowed,reason` with a possibly quoted identifier. */
function parseCsvAnswer(line: string) {
  const j = line.lastIndexOf(',');
  const i = line.lastIndexOf(',', j - 1);
  let identifier = line.slice(0, i);
  if (identifier.startsWith('"')) identifier = identifier.slice(1, -1).replaceAll('""', '"');
  return { identifier, allowed: line.slice(i + 1, j) === 'true', reason: line.slice(j + 1) };
}

function iteratorOf(src: IdentifierSource): AsyncIterator<string> | Iterator<string> {
  return Symbol.asyncIterator in src ? src[Symbol.asyncIterator]() : src[Symbol.iterator]();
}

/**
 * Streams identifiers to `POST /v1/audiences/filter` and the answers back, both ways at once,
 * so memory stays flat whatever the audience size. Every line is asked with `include=denied`,
 * which keeps the answers one per identifier, in order, and lets invalid ones be named.
 */
export async function* filterAudience(
  http: Http,
  identifiers: IdentifierSource,
  query: AudienceQuery,
): AsyncGenerator<AudienceResult> {
  const { identifierType = 'email', includeDenied = false, format = 'ndjson', onInvalid, signal } = query;
  const { channel, topic, purpose, vendor, brand, property } = query;
  const csv = format === 'csv';
  const sent = new Fifo<Sent>();
  const encoder = new TextEncoder();
  const source = iteratorOf(identifiers);
  let lineNo = 0;
  let upload: ReadableStreamDefaultController<Uint8Array> | undefined;
  const invalid = (s: Sent, error: string) => onInvalid?.({ ...s, error } satisfies InvalidAudienceLine);

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      upload = c;
      // a header, so that a first identifier spelled like one is not taken for it
      if (csv) c.enqueue(encoder.encode('identifier\n'));
    },
    async pull(c) {
      // a fast source and a fast reader could otherwise keep the upload in microtasks, starving I/O
      await yieldToEventLoop();
      let out = '';
      while (out.length < BATCH_CHARS) {
        const next = await source.next();
        if (next.done) {
          if (out) c.enqueue(encoder.encode(out));
          c.close();
          return;
        }
        const item: Sent = { line: ++lineNo, identifier: String(next.value) };
        if (csv && /[\r\n]/.test(item.identifier)) {
          invalid(item, 'A CSV line cannot hold a line break');
          continue;
        }
        sent.push(item);
        out += csv
          ? `${csvCell(item.identifier)}\n`
          : `${JSON.stringify({ type: identifierType, value: item.identifier })}\n`;
      }
      c.enqueue(encoder.encode(out));
    },
    async cancel(reason) {
      await source.return?.(reason);
    },
  });

  function* answer(line: string): Generator<AudienceResult> {
    if (line.trim() === '') return;
    if (csv) {
      const a = parseCsvAnswer(line);
      // CSV answers skip invalid lines: the identifiers passed over were the invalid ones
      for (let s = sent.shift(); s; s = sent.shift()) {
        if (s.identifier.trim() === a.identifier) {
          if (a.allowed || includeDenied) yield { ...a, identifier: s.identifier } as AudienceResult;
          return;
        }
        invalid(s, 'The identifier is not valid');
      }
      return;
    }
    const o = JSON.parse(line) as AudienceResult | { line: number; error: string };
    const s = sent.shift() ?? {
      line: 'line' in o ? o.line : 0,
      identifier: 'identifier' in o ? o.identifier : '',
    };
    if ('error' in o) invalid(s, o.error);
    else if (o.allowed || includeDenied)
      yield { identifier: s.identifier, allowed: o.allowed, reason: o.reason };
  }

  // ends the upload too when the answer fails or the consumer stops early
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  let reader: ReadableStreamDefaultReader<string> | undefined;
  let header = csv;
  let rest = '';
  try {
    const res = await http.stream('POST', '/v1/audiences/filter', {
      query: { channel, topic, purpose, vendor, brand, property, identifierType, include: 'denied' },
      contentType: csv ? 'text/csv' : 'application/x-ndjson',
      body,
      signal: stop.signal,
    });
    if (!res.body) return;
    reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const lines = (rest + value).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (header) header = false;
        else yield* answer(line);
      }
    }
    if (rest && !header) yield* answer(rest);
    if (csv) for (let s = sent.shift(); s; s = sent.shift()) invalid(s, 'The identifier is not valid');
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // fetch does not end an upload once the answer is over (an error answer, an early break):
    // erroring the body makes it drop the connection
    stop.abort();
    upload?.error(new Error('The audience filter was stopped'));
    await reader?.cancel().catch(() => {});
    await source.return?.();
  }
}
