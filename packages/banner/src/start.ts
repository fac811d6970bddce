import type { BannerConfig } from '@assent/core/collect';
import { createController, type UiFactory } from './runtime/controller.ts';

/** Reads the config (set by the server before the script, or inline JSON) and starts once. */
export function start(ui?: UiFactory): void {
  if (window.assent) return;
  let cfg: BannerConfig | undefined = window.assentConfig;
  if (!cfg) {
    try {
      cfg = JSON.parse(document.getElementById('assent-config')!.textContent!);
    } catch {}
  }
  // without texts there is nothing to show: gated elements stay inert, which is the safe side
  if (cfg && Object.keys(cfg.languages || {}).length) createController(cfg, ui);
  else if (cfg) console.error('assent: the configuration has no texts (no banner notice version)');
  else
    console.error(
      'assent: no config: set window.assentConfig or <script type="application/json" id="assent-config">',
    );
}
