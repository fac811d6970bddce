import type { BannerConfig } from '@assent/core/collect';
import { consentModeDefault } from './lib/consent-mode.ts';
import { createController, type UiFactory } from './runtime/controller.ts';
import type { BannerApi } from './types.ts';

/** Reads the config (set by the server before the script, or inline JSON) and starts once. */
export function start(ui?: UiFactory): void {
  const w = window;
  if (w.assent) return;
  let cfg: BannerConfig | undefined = w.assentConfig;
  if (!cfg) {
    try {
      cfg = JSON.parse(document.getElementById('assent-config')!.textContent!);
    } catch {}
  }
  if (!cfg) {
    console.error(
      'assent: no config: set window.assentConfig or <script type="application/json" id="assent-config">',
    );
    return;
  }
  const c = cfg;
  if (c.consentMode?.enabled) {
    // Must reach the dataLayer before any Google tag fires: this is the first thing the banner does,
    // even when the banner cannot show (tags then run in their denied mode).
    w.dataLayer ||= [];
    w.gtag ||= function () {
      // gtag.js only reads Arguments objects; the page's dataLayer is looked up on each call, as
      // Google's own snippet does, since a page may assign a new array after this script
      // biome-ignore lint/complexity/noArguments: see above
      w.dataLayer!.push(arguments);
    };
    w.gtag('consent', 'default', consentModeDefault(c.consentMode));
  }
  // without texts there is nothing to show: gated elements stay inert, which is the safe side
  if (!Object.keys(c.languages || {}).length) {
    console.error('assent: the configuration has no texts (no banner notice version)');
    return;
  }
  // Chrome captures the script stack on a document.cookie read and re-parses every function on it
  // that has no source positions yet; at this point that is the whole bundle, twice (~2 ms). A
  // microtask starts on a one-line stack, and still runs before any later script of the page.
  let ctl: BannerApi | undefined;
  const api = () => (ctl ??= createController(c, document.cookie, ui));
  w.assent = {
    config: c,
    get: () => api().get(),
    on: (type, fn) => api().on(type, fn),
    show: (details) => api().show(details),
    acceptAll: () => api().acceptAll(),
    rejectAll: () => api().rejectAll(),
    set: (d) => api().set(d),
    identify: (token) => api().identify(token),
  };
  queueMicrotask(api);
}
