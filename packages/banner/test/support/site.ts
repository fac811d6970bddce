/**
 * A tiny static site for the browser tests: test pages with an inline config, the bundles from
 * buildBanner(), a delayed vendor script, and a stand-in Collect API that records what it receives.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  BannerConfig,
  CollectConsentBody,
  CollectEventBody,
  CollectIdentifyResult,
} from '@assent/core/collect';
import { buildBanner } from '../../src/build.ts';

export interface ReceivedConsent {
  idempotencyKey: string | undefined;
  contentType: string | undefined;
  body: CollectConsentBody;
}

export interface PageOptions {
  config: BannerConfig;
  bundle?: 'banner' | 'headless';
  /** Put the config in <script type="application/json" id="assent-config"> instead of window.assentConfig. */
  inlineJson?: boolean;
  /** Replaces the default gated elements. */
  body?: string;
}

/** Gated elements in a known order: inline, external (served late on purpose), inline, iframe, two purposes. */
export const gatedBody = `
<script type="text/plain" data-assent-purpose="analytics">ranLog.push('inline-1')</script>
<script type="text/plain" data-assent-purpose="analytics" src="/vendor.js"></script>
<script type="text/plain" data-assent-purpose="analytics">ranLog.push('inline-2')</script>
<iframe data-assent-src="/frame.html" data-assent-purpose="marketing" title="Partner content"></iframe>
<script type="text/plain" data-assent-purpose="analytics marketing">ranLog.push('both')</script>`;

const escapeJsonForScript = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

function pageHtml(o: PageOptions): string {
  const config = o.inlineJson
    ? `<script type="application/json" id="assent-config">${escapeJsonForScript(o.config)}</script>`
    : `<script>window.assentConfig = ${escapeJsonForScript(o.config)};</script>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Assent test shop</title>
${config}
<script src="/assent-${o.bundle ?? 'banner'}.js"></script>
<script>window.ranLog = window.ranLog || [];</script>
</head><body>
<main><h1>Assent test shop</h1><p>Some page content.</p><button id="page-button" type="button" onclick="assent.show()">Privacy choices</button>
${o.body ?? gatedBody}
</main></body></html>`;
}

export async function startSite() {
  const bundles = await buildBanner();
  const consents: ReceivedConsent[] = [];
  const events: CollectEventBody[] = [];
  const pages = new Map<string, string>();
  const state = {
    identify: { decisions: {}, decidedAt: null } as CollectIdentifyResult,
    identifyBodies: [] as unknown[],
    /** When set, the consents endpoint answers this status and records nothing. */
    consentStatus: 0,
  };

  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };

  // each test talks to its own collect endpoint: what a page of an earlier test still sends (a queued choice
  // goes again on pagehide, a beacon arrives late) is answered but not recorded
  let generation = 0;
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST') {
      const text = await read(req);
      const collect = /^\/c\/t(\d+)\/(consents|events|identify)$/.exec(path);
      if (collect && Number(collect[1]) !== generation) {
        return send(res, collect[2] === 'events' ? 204 : 201, 'application/json', '{}');
      }
      const call = collect?.[2];
      if (call === 'consents') {
        if (state.consentStatus) return send(res, state.consentStatus, 'application/json', '{}');
        consents.push({
          idempotencyKey: req.headers['idempotency-key'] as string | undefined,
          contentType: req.headers['content-type'],
          body: JSON.parse(text),
        });
        return send(res, 201, 'application/json', '{}');
      }
      if (call === 'events') {
        events.push(JSON.parse(text));
        return send(res, 204, 'text/plain', '');
      }
      if (call === 'identify') {
        state.identifyBodies.push(JSON.parse(text));
        return send(res, 200, 'application/json', JSON.stringify(state.identify));
      }
      return send(res, 404, 'text/plain', 'not found');
    }
    if (path === '/assent-banner.js') return send(res, 200, 'text/javascript', bundles.banner);
    if (path === '/assent-headless.js') return send(res, 200, 'text/javascript', bundles.headless);
    if (path === '/vendor.js') {
      // Late on purpose: an inline script after it must still wait for it.
      await new Promise((r) => setTimeout(r, 300));
      return send(res, 200, 'text/javascript', "ranLog.push('src')");
    }
    if (path === '/frame.html') {
      return send(
        res,
        200,
        'text/html',
        "<!doctype html><title>f</title><script>parent.ranLog.push('iframe')</script>",
      );
    }
    if (path === '/alternative.html') {
      return send(
        res,
        200,
        'text/html',
        '<!doctype html><html lang="en"><title>Alternative</title><h1>Paid access</h1>',
      );
    }
    const page = pages.get(path);
    if (page) return send(res, 200, 'text/html; charset=utf-8', page);
    return send(res, 404, 'text/plain', 'not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let n = 0;

  return {
    origin,
    /** The collect endpoint of the current test. */
    get endpoint() {
      return `${origin}/c/t${generation}`;
    },
    bundles,
    consents,
    events,
    state,
    /** Starts a new test: a new endpoint, and nothing received or set by the test before. */
    reset() {
      generation++;
      consents.length = 0;
      events.length = 0;
      state.identifyBodies.length = 0;
      state.identify = { decisions: {}, decidedAt: null };
      state.consentStatus = 0;
    },
    /** Serves a page and returns its URL. */
    page(o: PageOptions): string {
      const path = `/p/${++n}`;
      pages.set(path, pageHtml(o));
      return origin + path;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export type Site = Awaited<ReturnType<typeof startSite>>;
