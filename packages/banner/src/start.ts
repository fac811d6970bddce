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
  // without texts there is nothing to show: gated elements stay inert, which is the safe side
  if (!cfg || !Object.keys(cfg.languages || {}).length) {
    console.error(
      cfg
        ? 'assent: the configuration has no texts (no banner notice version)'
        : 'assent: no config: set window.assentConfig or <script type="application/json" id="assent-config">',
    );
    return;
  }
  const c = cfg;
  if (c.consentMode.enabled) {
    // Must reach the dataLayer before any Google tag fires: this is the first thing the banner does.
    w.dataLayer ||= [];
    const dl = w.dataLayer;
    w.gtag ||= function () {
      // biome-ignore lint/complexity/noArguments: gtag.js only reads Arguments objects from the dataLayer
      dl.push(arguments);
    };
    w.gtag('consent', 'default', consentModeDefault(c.consentMode));
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
