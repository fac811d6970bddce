import type { AppDeps } from '../app-deps.ts';
import type { HttpApp } from '../http/app.ts';

const DEMO_PROPERTY = 'acme-web';

const page = (scriptUrl: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme: Assent banner demo</title>
<script src="${scriptUrl}"></script>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 44rem; padding: 1rem; color: #1f2328; }
  .status { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
  .off { color: #8b1a1a; } .on { color: #0f5f2a; font-weight: 600; }
  iframe { border: 1px solid #ccc; width: 100%; height: 8rem; }
  button { font: inherit; padding: .4rem .9rem; }
</style>
</head>
<body>
<header><h1>Acme</h1></header>
<main>
  <p>This page loads the Assent banner of the demo property <code>${DEMO_PROPERTY}</code>. Three things on it wait for consent:
  an analytics script (purpose <em>analytics</em>), an ad script and a video frame (purpose <em>marketing</em>).</p>
  <h2>What ran</h2>
  <div class="status" aria-live="polite">
    <span>Analytics script</span><span id="analytics" class="off">not run</span>
    <span>Ad script</span><span id="ads" class="off">not run</span>
    <span>Video frame</span><span id="video" class="off">not loaded</span>
    <span>Choice</span><span id="choice">none yet</span>
    <span>Consent Mode</span><span id="gcm">-</span>
  </div>
  <p><button type="button" id="choices">Privacy choices</button></p>
  <iframe title="Demo video" data-assent-purpose="marketing" data-assent-src="/demo/video.html"></iframe>
</main>
<script>
  function show() {
    var s = window.assent && window.assent.get();
    document.getElementById('choice').textContent = s && s.decided ? JSON.stringify(s.decisions) : 'none yet';
    var last = (window.dataLayer || []).filter(function (e) { return e[0] === 'consent'; }).pop();
    document.getElementById('gcm').textContent = last ? last[1] + ' ' + JSON.stringify(last[2]) : '-';
  }
  window.addEventListener('assent:ready', show);
  window.addEventListener('assent:change', show);
  document.getElementById('choices').addEventListener('click', function () { window.assent.show(); });
</script>
<script type="text/plain" data-assent-purpose="analytics">
  window.demoRuns = (window.demoRuns || []).concat('analytics');
  var a = document.getElementById('analytics'); a.textContent = 'ran'; a.className = 'on';
</script>
<script type="text/plain" data-assent-purpose="marketing" src="/demo/ad.js"></script>
</body>
</html>
`;

const AD_SCRIPT = `window.demoRuns = (window.demoRuns || []).concat('ads');
var e = document.getElementById('ads'); e.textContent = 'ran'; e.className = 'on';
`;

const VIDEO = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo video</title></head>
<body style="font:14px system-ui;margin:.5rem">
<p>A video player would play here.</p>
</body></html>`;

/** `/demo`: a page of the demo property with a gated analytics script, ad script and video frame. */
export function registerDemoRoutes(app: HttpApp, deps: AppDeps) {
  app.get('/demo', { schema: { hide: true } }, async (_req, reply) => {
    const row = await deps.db.kysely
      .selectFrom('property_keys as k')
      .innerJoin('catalog_objects as p', 'p.id', 'k.property_id')
      .select('k.publishable_key')
      .where('p.kind', '=', 'property')
      .where('p.key', '=', DEMO_PROPERTY)
      .where('p.archived_at', 'is', null)
      .orderBy('p.created_at')
      .executeTakeFirst();
    if (!row) {
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send(
          'The demo property is not there: start the server once with ASSENT_DEMO=1 (the default) on a new database.',
        );
    }
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(page(`/c/${row.publishable_key}/banner.js`));
  });
  app.get('/demo/ad.js', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(AD_SCRIPT),
  );
  app.get('/demo/video.html', { schema: { hide: true } }, async (_req, reply) => {
    const e = `<script>var v = parent.document.getElementById('video'); v.textContent = 'loaded'; v.className = 'on';</script>`;
    return reply.type('text/html; charset=utf-8').send(VIDEO.replace('</body>', `${e}</body>`));
  });
}
