import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Node's own test of the header. */
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;
const deferred = new WeakMap<Server, Set<string>>();

/**
 * `Expect: 100-continue`: Node answers `100 Continue` at once unless the server listens for it. A path named
 * here is answered by its route instead, once it has accepted the request (`sendContinue`), so a client refused
 * (401, 422, 429) hears so before it uploads its body; Node then closes that connection, since the client may
 * send the body anyway. Every other path gets its `100 Continue` at once, as before.
 */
export function continueWhenAccepted(server: Server, path: string): void {
  let paths = deferred.get(server);
  if (!paths) {
    const own = new Set<string>();
    paths = own;
    deferred.set(server, own);
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (!own.has((req.url ?? '').split('?')[0] ?? '')) res.writeContinue();
      server.emit('request', req, res);
    });
  }
  paths.add(path);
}

/** Tells a client waiting for `100 Continue` to send its body; nothing for one that is not waiting. */
export function sendContinue(req: IncomingMessage, res: ServerResponse): void {
  if (CONTINUE.test(String(req.headers.expect ?? '')) && !res.headersSent) res.writeContinue();
}
