import { connect, type Socket } from 'node:net';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RawConnection {
  socket: Socket;
  /**
   * Everything the server has sent so far; when it ended its side (ms since the epoch, null
   * before); whether the connection is closed.
   */
  seen: { text: string; endedAt: number | null; closed: boolean };
  /** Resolves with everything received once the connection closes. */
  ended: Promise<string>;
}

/**
 * A TCP connection to a test server that speaks HTTP/1.1 as the test writes it: for what clients
 * do that fetch cannot (a body sent chunk by chunk, `Expect: 100-continue`, pipelining). With
 * `halfOpen`, it keeps its side open when the server ends its own, as a client still sending does.
 */
export function rawConnection(port: number, head = '', opts: { halfOpen?: boolean } = {}): RawConnection {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: opts.halfOpen ?? false });
  socket.setEncoding('latin1');
  const seen: RawConnection['seen'] = { text: '', endedAt: null, closed: false };
  socket.on('data', (d: string) => {
    seen.text += d;
  });
  socket.on('end', () => {
    seen.endedAt = Date.now();
  });
  // the server cutting the connection may reset it under a write: that is what such tests look at
  socket.on('error', () => {});
  const ended = new Promise<string>((resolve) =>
    socket.on('close', () => {
      seen.closed = true;
      resolve(seen.text);
    }),
  );
  if (head) socket.write(head);
  return { socket, seen, ended };
}

/** Waits until `test` holds, checking every few milliseconds; throws after `ms`. */
export async function until(test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

/** Status and headers (names lower-cased) of the first answer in what a connection received. */
export function responseHead(raw: string) {
  const [top = ''] = raw.split('\r\n\r\n');
  const [status = '', ...lines] = top.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(status.split(' ')[1]), headers };
}

/** Writes `data` whole before reading anything, as most clients do; resolves with the write's error, if any. */
export function writeBeforeReading(socket: Socket, data: string): Promise<Error | null> {
  socket.pause();
  return new Promise((resolve) => socket.write(data, (err) => resolve(err ?? null)));
}

/** A chunked body of at least `bytes` (of `fill`), in 64 KiB chunks, and its end. */
export function chunkedBody(bytes: number, fill = 'x'): string {
  const chunk = fill.repeat(64 * 1024);
  return `${`${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(Math.ceil(bytes / chunk.length))}0\r\n\r\n`;
}
