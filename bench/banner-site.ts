/**
 * One article page on 127.0.0.1 in three variants that differ only in their consent banner: none,
 * Assent (config inline, bundle same-origin, first in <head> as its README says) and
 * vanilla-cookieconsent (CSS in <head>, UMD build and config deferred, as its docs show).
 */

import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { withConfig } from '../packages/banner/src/build.ts';
import { assentConfig, vanillaConfigScript } from './banner-configs.ts';

export const variants = ['none', 'assent', 'vanilla'] as const;
export type Variant = (typeof variants)[number];

/**
 * Pages traced for script time only, as reference points: one trivial inline script (what running
 * any script at all costs in this measurement) and Assent's inline config script on its own.
 */
export const references = ['script', 'config', 'inline', 'floor'] as const;
export type Reference = (typeof references)[number];

/** The element each variant's "visible" is judged on. */
export const dialogSelector: Record<Variant | Reference, string | null> = {
  none: null,
  assent: '#assent [role="dialog"]',
  vanilla: '#cc-main .cm',
  script: null,
  config: null,
  inline: '#assent [role="dialog"]',
  floor: '#floor',
};

export function vanillaFiles() {
  const js = createRequire(import.meta.url).resolve('vanilla-cookieconsent/dist/cookieconsent.umd.js');
  const read = (path: string) => readFileSync(join(dirname(js), path), 'utf8');
  return {
    version: (JSON.parse(read('../package.json')) as { version: string }).version,
    js: read('cookieconsent.umd.js'),
    css: read('cookieconsent.css'),
  };
}

const paragraphs = [
  'The city council voted on Tuesday to turn the old freight yard into a park, ending a debate that has run for more than a decade. The plan keeps the two brick warehouses, which will become a covered market and a library annex.',
  'Residents who packed the hearing were split. Some wanted housing on the site; others argued that the district, the densest in the city, has the least green space per person. The final plan sets aside a strip along the northern edge for four hundred homes.',
  'Work is due to start next spring. The first phase, a path along the river and a playground, should open within eighteen months; the market hall needs a new roof and will take longer.',
  'The budget, set at forty million, comes mostly from the regional fund for urban renewal. The council will borrow the rest over twenty years, at a rate it describes as the lowest it has secured since the bridge was rebuilt.',
  'Critics on the opposition benches said the figures leave no margin for the soil clean-up, which surveys estimate at between six and twelve million depending on what lies under the old engine shed.',
];

/**
 * What any consent dialog must do on this page, and nothing else: read the cookie, put a small dialog
 * with two buttons into the page once it is parsed, and move focus into it after the first frame.
 * Traced as a reference: Chromium's first-use costs (the first element wrapper, the cookie jar, the
 * HTML fragment parser, focus) that every banner pays on a page whose own scripts have not paid them.
 */
const FLOOR_SCRIPT = `(function () {
  var stored = document.cookie.indexOf('choice=') >= 0;
  if (stored) return;
  document.addEventListener('DOMContentLoaded', function () {
    document.body.insertAdjacentHTML('beforeend', '<div id="floor" role="dialog" aria-label="Cookies"><p>We use cookies.</p><button type="button">Accept</button><button type="button">Reject</button></div>');
    requestAnimationFrame(function () {
      setTimeout(function () { document.querySelector('#floor button').focus({ preventScroll: true }); });
    });
  });
})();`;

const escapeJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

function pageHtml(variant: Variant | Reference, endpoint: string): string {
  const config = `<script>window.assentConfig = ${escapeJson(assentConfig(endpoint))};</script>`;
  const head = {
    none: '',
    script: '<script>window.x = 1;</script>',
    config,
    assent: '<script src="/c/bench/banner.js"></script>',
    floor: `<script>${FLOOR_SCRIPT}</script>`,
    inline: `${config}
<script src="/assent-banner.js"></script>`,
    vanilla: `<link rel="stylesheet" href="/cookieconsent.css">
<script defer src="/cookieconsent.umd.js"></script>
<script defer src="/cookieconsent-config.js"></script>`,
  }[variant];
  const article = paragraphs.map((p) => `<p>${p}</p>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Freight yard becomes a park | The Northwind Journal</title>
${head}
<style>
body { margin: 0; font: 18px/1.6 Georgia, serif; color: #1f2933; background: #fafaf7; }
header { display: flex; justify-content: space-between; align-items: center; padding: 1rem 2rem; border-bottom: 1px solid #d9d9d4; }
header b { font-size: 1.6rem; } nav a { margin-left: 1.2rem; color: inherit; }
.layout { display: grid; grid-template-columns: minmax(0, 42rem) 16rem; gap: 3rem; max-width: 64rem; margin: 2rem auto; padding: 0 2rem; }
h1 { font-size: 2.4rem; line-height: 1.2; margin: 0 0 .5rem; } .byline { color: #5f6b7a; font-size: .9rem; }
aside { font: 15px/1.5 system-ui, sans-serif; border-left: 3px solid #0f766e; padding-left: 1rem; }
footer { padding: 2rem; border-top: 1px solid #d9d9d4; font: 14px system-ui, sans-serif; }
@media (max-width: 48rem) { .layout { grid-template-columns: 1fr; } }
</style>
</head><body>
<header><b>The Northwind Journal</b><nav><a href="/city">City</a><a href="/politics">Politics</a><a href="/culture">Culture</a><a href="/sport">Sport</a></nav></header>
<div class="layout"><main><article>
<h1>Freight yard becomes a park after a decade of debate</h1>
<p class="byline">By Ada Moreau, city desk. Published 25 November, 08:40</p>
${article}
</article></main>
<aside><h2>Most read</h2><ol><li>Night trains return to the coast line</li><li>Why the bridge closed again</li><li>Five bakeries worth the queue</li></ol></aside></div>
<footer><a href="/privacy">Privacy</a> · <a href="#" onclick="window.assent ? assent.show() : window.CookieConsent && CookieConsent.showPreferences(); return false">Privacy choices</a> · © The Northwind Journal</footer>
</body></html>`;
}

export interface BannerSite {
  url(page: Variant | Reference): string;
  close(): Promise<void>;
}

/** Serves the three pages and their files, and answers the banner's beacons with 204. */
export async function startBannerSite(assentBundle: string): Promise<BannerSite> {
  const vanilla = vanillaFiles();
  const files = new Map<string, [string, string]>([
    ['/assent-banner.js', ['text/javascript', assentBundle]],
    ['/cookieconsent.umd.js', ['text/javascript', vanilla.js]],
    ['/cookieconsent.css', ['text/css', vanilla.css]],
    ['/cookieconsent-config.js', ['text/javascript', vanillaConfigScript()]],
  ]);
  const server: Server = createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = req.method === 'GET' ? files.get(path) : undefined;
    if (req.method === 'POST' && path.startsWith('/c/bench/')) res.writeHead(204).end();
    else if (file) res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const v of [...variants, ...references])
    files.set(`/${v}`, ['text/html; charset=utf-8', pageHtml(v, `${origin}/c/bench`)]);
  files.set('/c/bench/banner.js', [
    'text/javascript',
    withConfig(assentBundle, escapeJson(assentConfig(`${origin}/c/bench`))),
  ]);
  return {
    url: (v) => `${origin}/${v}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
