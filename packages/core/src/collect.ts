/**
 * The Collect API's wire types: what the browser banner reads (`GET /c/{propertyKey}/config`)
 * and sends (`POST /c/{propertyKey}/consents`, `/events`, `/identify`). Pure, browser-safe:
 * the banner imports this file (types and constants only), never the rest of core.
 */
import type { ConsentModeType, PurposeCategory } from './types.ts';

/** How the person reached the choice. `gpc` is the automatic opt-out sent for a GPC signal. */
export const bannerInteractions = ['accept_all', 'reject_all', 'custom', 'gpc'] as const;
export type BannerInteraction = (typeof bannerInteractions)[number];

/** The analytics beacons the banner sends with sendBeacon. */
export const bannerEventTypes = [
  'shown',
  'accept_all',
  'reject_all',
  'custom',
  'opened_details',
  'dismissed',
] as const;
export type BannerEventType = (typeof bannerEventTypes)[number];

/** A stored choice older than this many days is asked again, unless the property sets less. */
export const DEFAULT_CHOICE_DAYS = 182;
/** The longest a property may keep a choice before asking again (13 months, CNIL). */
export const MAX_CHOICE_DAYS = 395;

export interface BannerVendor {
  key: string;
  name: string;
  privacyPolicyUrl: string | null;
  /** First-party cookie names set by this vendor; a trailing `*` matches a prefix (`_ga_*`). */
  cookies: string[];
}

export interface BannerPurpose {
  key: string;
  category: PurposeCategory;
  /** Google Consent Mode types this purpose grants. */
  consentMode: ConsentModeType[];
  /** GPC opts out of purposes that are a sale or a sharing of personal data. */
  sale: boolean;
  sharing: boolean;
  vendors: BannerVendor[];
}

/** The texts of one language: the notice version's content and the UI labels. */
export interface BannerTexts {
  /** The notice version shown in this language; recorded as evidence with the choice. */
  noticeVersionId: string;
  /** HTML limited to p, br, strong, em, b, i, ul, ol, li and https links (sanitised by the server). */
  body: string;
  labels: BannerLabels;
  /** Purpose names and descriptions in this language, by purpose key. */
  purposes: Record<string, { name: string; description: string }>;
}

export interface BannerLabels {
  title: string;
  acceptAll: string;
  rejectAll: string;
  customize: string;
  save: string;
  close: string;
  privacyPolicy: string;
  /** Shown beside a purpose that cannot be turned off. */
  alwaysOn: string;
  vendors: string;
  /** Why a purpose is off and locked when the browser sends Global Privacy Control. */
  gpcApplied: string;
  /** Offered after a withdrawal when a script that already ran cannot be stopped. */
  reloadNeeded: string;
  reload: string;
}

export interface BannerConfig {
  propertyKey: string;
  /** Absolute base URL of the Collect API for this property: `{origin}/c/{propertyKey}`. */
  endpoint: string;
  consentGroup: string | null;
  defaultLanguage: string;
  /** Texts per language code (`en`, `fr`, `id`, ...). */
  languages: Record<string, BannerTexts>;
  purposes: BannerPurpose[];
  /**
   * Changes when a material notice version appears: a stored choice made under another
   * revision is asked again.
   */
  revision: string;
  /** A stored choice is asked again after this many days (at most MAX_CHOICE_DAYS). */
  choiceDays: number;
  privacyPolicyUrl: string | null;
  /** Brand design tokens, applied as CSS custom properties (`primary`, `background`, `text`, ...). */
  theme: Record<string, string>;
  consentMode: {
    enabled: boolean;
    /** Milliseconds Google tags wait for an update before firing with the defaults. */
    waitForUpdate: number;
    /** ISO 3166-2 regions the default applies to; empty: everywhere. */
    regions: string[];
  };
  /** null: off (the default). Else the page stays covered until a choice. */
  cookieWall: { alternativeUrl: string; alternativeLabel: string } | null;
  /** A/B variant name counted with the analytics beacons. */
  variant: string;
}

/** `POST /c/{propertyKey}/consents`, sent with an `Idempotency-Key` per choice. */
export interface CollectConsentBody {
  /** A random id the banner keeps in its cookie. */
  anonymousId: string;
  /** Granted (true) or refused (false) per purpose key; necessary purposes may be left out. */
  decisions: Record<string, boolean>;
  noticeVersionId: string;
  language: string;
  interaction: BannerInteraction;
  gpc: boolean;
  /** When the person chose (the browser's clock); a choice delivered late from the queue keeps its place. */
  decidedAt?: string;
  /**
   * When known, the subject token given to `assent.identify()`: the choice is the person's. A
   * stale token does not lose the choice: it is recorded for the browser's visitor.
   */
  subjectToken?: string;
}

/** `POST /c/{propertyKey}/identify`: links the anonymous visitor to a known person. */
export interface CollectIdentifyBody {
  anonymousId: string;
  subjectToken: string;
}

/**
 * What identify answers: the person's current web choices in the property's consent group, made
 * since the newest material notice version (older ones must be asked again) and not expired.
 */
export interface CollectIdentifyResult {
  decisions: Record<string, boolean>;
  /** When the latest of those decisions was recorded; null when the person has none. */
  decidedAt: string | null;
}

/** `POST /c/{propertyKey}/events`, sent with navigator.sendBeacon as text/plain JSON. */
export interface CollectEventBody {
  type: BannerEventType;
  variant?: string;
  language?: string;
}
