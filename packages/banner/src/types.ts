/** The page-facing types of the banner: `window.assent` and its typed window events. */
import type { BannerConfig, CollectIdentifyResult } from '@assent/core/collect';

export interface ConsentSnapshot {
  /** True once the person made a choice that is still current (same revision, not expired). */
  decided: boolean;
  /** Every purpose key: necessary purposes are always true, others false until granted. */
  decisions: Record<string, boolean>;
  /** The browser sends Global Privacy Control: sale and sharing purposes are denied. */
  gpc: boolean;
  anonymousId: string;
  /** ISO time of the choice in force, null when undecided. */
  decidedAt: string | null;
  /** Only on `assent:change`: a withdrawn purpose already ran a script that only a reload stops. */
  reloadSuggested?: boolean;
}

export type AssentEventName = 'ready' | 'change';

export interface BannerApi {
  readonly config: BannerConfig;
  get(): ConsentSnapshot;
  /** Calls `fn` on every change; returns the function that stops it. */
  on(type: 'change', fn: (snapshot: ConsentSnapshot) => void): () => void;
  /** Opens the banner again (`details`: straight to the second layer). Headless: fires `assent:show`. */
  show(details?: boolean): void;
  acceptAll(): void;
  rejectAll(): void;
  /** A custom choice, by purpose key; purposes left out are refused. */
  set(decisions: Record<string, boolean>): void;
  /** Links this browser to a known person; their stored web choices, if any, become this browser's. */
  identify(subjectToken: string): Promise<CollectIdentifyResult>;
}

declare global {
  interface Window {
    assent?: BannerApi;
    assentConfig?: BannerConfig;
    dataLayer?: unknown[];
    gtag?: (...args: unknown[]) => void;
  }
  interface WindowEventMap {
    'assent:ready': CustomEvent<ConsentSnapshot>;
    'assent:change': CustomEvent<ConsentSnapshot>;
    /** Headless build only: `assent.show()` asks the page's own UI to open. */
    'assent:show': CustomEvent<{ details: boolean }>;
  }
}
