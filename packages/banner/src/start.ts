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
  if (cfg) createController(cfg, ui);
  else
    console.error(
      'assent: no config: set window.assentConfig or <script type="application/json" id="assent-config">',
    );
}
