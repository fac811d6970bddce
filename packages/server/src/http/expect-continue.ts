import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Node's own test of the header. */
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;
/** Per server: each deferred path, with the media types its route reads as a stream. */
const deferred = new WeakMap<Server, Map<string, Set<string>>>();

const essence = (type: string | undefined) => (type ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** The path as the router sees it: percent-decoded, without the query. */
function pathOf(url: string): string {
  const path = url.split('?')[0] ?? '';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * `Expect: 100-continue`: Node answers `100 Continue` at once unless the server listens for it. A request to
 * a path named here, of a media type its route reads as a stream, is answered by its route instead, once it has
 * accepted the request (`sendContinue`), so a client refused (401, 422, 429) hears so before it uploads its body;
 * Node then closes that connection, since the client may send the body anyway. Every other request gets its
 * `100 Continue` at once, as before (a body another parser waits for must be sent).
 */
export function continueWhenAccepted(server: Server, path: string, streamedTypes: string[]): void {
  let paths = deferred.get(server);
  if (!paths) {
    const own = new Map<string, Set<string>>();
    paths = own;
    deferred.set(server, own);
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      const types = own.get(pathOf(req.url ?? ''));
      if (!types?.has(essence(req.headers['content-type']))) res.writeContinue();
      server.emit('request', req, res);
    });
  }
  paths.set(path, new Set(streamedTypes));
}

/** Tells a client waiting for `100 Continue` to send its body; nothing for one that is not waiting. */
export function sendContinue(req: IncomingMessage, res: ServerResponse): void {
  if (CONTINUE.test(String(req.headers.expect ?? '')) && !res.headersSent) res.writeContinue();
}
