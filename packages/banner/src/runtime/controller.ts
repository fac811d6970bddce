import type {
  BannerConfig,
  BannerEventType,
  BannerInteraction,
  BannerPurpose,
  BannerTexts,
  CollectIdentifyResult,
} from '@assent/core/collect';
import { decodeChoice, encodeChoice, isChoiceCurrent } from '../lib/choice-codec.ts';
import { consentModeDefault, consentModeUpdate } from '../lib/consent-mode.ts';
import { chosenOnly, effectiveDecisions, isGpcLocked } from '../lib/decisions.ts';
import { pickLanguage } from '../lib/language.ts';
import { uuid } from '../lib/uuid.ts';
import type { BannerApi, ConsentSnapshot } from '../types.ts';
import { createDelivery } from './delivery.ts';
import { createGate } from './gate.ts';
import { deleteCookies, lsGet, lsSet, readCookie, writeCookie } from './storage.ts';

const COOKIE = 'assent_consent';
/** Session cookie: the banner was closed without a choice (rather than sessionStorage: one storage read at start). */
export const DISMISSED = 'assent_dismissed';
const SUBJECT = 'assent_subject';

/** What the UI needs from the runtime. */
export interface Controller {
  cfg: BannerConfig;
  lang: string;
  texts: BannerTexts;
  gpc: boolean;
  get(): ConsentSnapshot;
  choose(interaction: Exclude<BannerInteraction, 'gpc'>, raw?: Record<string, boolean>): void;
  /** `hold`: send it with the next beacon, or when the page is hidden. */
  beacon(type: BannerEventType, hold?: boolean): void;
}

export interface Ui {
  /** `atLoad`: the first open, during the page's load. */
  open(details?: boolean, atLoad?: boolean): void;
  /** Called after every change: the UI closes and may offer a reload. */
  changed(s: ConsentSnapshot): void;
}

export type UiFactory = (ctl: Controller) => Ui;

function withBody(fn: () => void): void {
  if (document.body) {
    fn();
    return;
  }
  const mo = new MutationObserver(() => {
    if (!document.body) return;
    mo.disconnect();
    fn();
  });
  mo.observe(document.documentElement, { childList: true });
}

/**
 * The consent state and the page API, from the config and `document.cookie` (the one storage read
 * at start). start() has already pushed the Consent Mode default.
 */
export function createController(cfg: BannerConfig, jar: string, makeUi?: UiFactory): BannerApi {
  const w = window;
  const { endpoint, purposes, consentMode } = cfg;
  const gtag = (...args: unknown[]) => w.gtag!(...args);

  const gpc = (navigator as Navigator & { globalPrivacyControl?: boolean }).globalPrivacyControl === true;
  const lang = pickLanguage(
    navigator.languages || [navigator.language],
    Object.keys(cfg.languages),
    cfg.defaultLanguage,
  );
  const texts = cfg.languages[lang] ?? cfg.languages[cfg.defaultLanguage];
  const delivery = createDelivery(`${endpoint}/consents`, cfg.choiceDays * 864e5);
  let stored = decodeChoice(readCookie(jar, COOKIE));
  const anonymousId = stored?.a ?? uuid();
  // localStorage is a synchronous trip to the browser process: read it when a choice is recorded, not at load
  let subjectToken: string | undefined | null = null;
  const token = () => {
    if (subjectToken === null) subjectToken = lsGet<string>(SUBJECT) ?? undefined;
    return subjectToken;
  };
  const current = () => !!stored && isChoiceCurrent(stored, cfg.revision, cfg.choiceDays, Date.now());
  let decisions = effectiveDecisions(purposes, current() ? stored!.d : {}, gpc);
  const gate = createGate((keys) => keys.every((k) => decisions[k]));
  // The UI is made when it is first needed, and only once there is a <body> to put it in: a page
  // view with a current choice never builds it.
  let ui: Ui | undefined;
  const theUi = () =>
    (ui ??=
      makeUi && document.body ? makeUi({ cfg, lang, texts, gpc, get: snapshot, choose, beacon }) : undefined);

  const snapshot = (): ConsentSnapshot => ({
    decided: current(),
    decisions: { ...decisions },
    gpc,
    anonymousId,
    decidedAt: current() ? new Date(stored!.t).toISOString() : null,
  });
  const emit = (name: 'ready' | 'change', detail: ConsentSnapshot) =>
    w.dispatchEvent(new CustomEvent(`assent:${name}`, { detail }));
  // `assent:ready` comes first: a change made before it (a click on the banner, or a page script
  // calling the API, before the document is parsed) is announced right after it
  let ready = false;
  let heldChange: ConsentSnapshot | null = null;
  const announce = (s: ConsentSnapshot) => {
    if (ready) emit('change', s);
    // one change is announced, with the latest state; a reload suggested by an earlier one stands
    else heldChange = { ...s, reloadSuggested: s.reloadSuggested || !!heldChange?.reloadSuggested };
  };
  const post = (type: BannerEventType) =>
    navigator.sendBeacon?.(
      `${endpoint}/events`,
      JSON.stringify({ type, variant: cfg.variant, language: lang }),
    );
  // The `shown` of a banner opened during the load waits for the visitor's next action or for the
  // page to be hidden (what sendBeacon is for): a request made during the load costs it ~2 ms of
  // main thread. Beacons still go out in order.
  let held: BannerEventType | null = null;
  const release = () => {
    if (held) post(held);
    held = null;
  };
  function beacon(type: BannerEventType, hold?: boolean): void {
    release();
    if (!hold) {
      post(type);
      return;
    }
    held = type;
    document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && release());
    w.addEventListener('pagehide', release);
  }

  const store = (d: Record<string, boolean>, t = Date.now(), partial?: boolean) => {
    stored = {
      a: anonymousId,
      d: chosenOnly(purposes, d),
      n: texts.noticeVersionId,
      r: cfg.revision,
      t,
      g: gpc,
    };
    if (partial) stored.x = 1;
    writeCookie(COOKIE, encodeChoice(stored), cfg.choiceDays);
  };
  const record = (interaction: BannerInteraction, d: Record<string, boolean>) =>
    delivery.send({
      anonymousId,
      decisions: d,
      noticeVersionId: texts.noticeVersionId,
      language: lang,
      interaction,
      gpc,
      decidedAt: new Date().toISOString(),
      ...(token() && { subjectToken: token() }),
    });

  /**
   * Deletes the cookies of the refused purposes' vendors, but not a cookie that a vendor of a
   * purpose still granted (`decisions`) also sets: one vendor can serve several purposes.
   */
  const clearCookies = (refused: Record<string, boolean>) => {
    const cookiesOf = (keys: (p: BannerPurpose) => boolean) =>
      purposes.flatMap((p) => (keys(p) ? p.vendors.flatMap((v) => v.cookies) : []));
    const kept = cookiesOf((p) => decisions[p.key]);
    const names = cookiesOf((p) => p.key in refused).filter((c) => !kept.includes(c));
    if (names.length) deleteCookies(names);
  };

  /** Puts new decisions in force: withdrawal clean-up, Consent Mode, gated scripts, events. */
  function apply(next: Record<string, boolean>): void {
    let reloadSuggested = false;
    const refused: Record<string, boolean> = {};
    for (const p of purposes) {
      if (next[p.key]) continue;
      refused[p.key] = false;
      reloadSuggested ||= decisions[p.key] && gate.ran.has(p.key);
    }
    decisions = next;
    // every refused purpose, not only one granted on this page: a grant from an earlier visit, or a
    // tag that set its cookie again after a withdrawal, leaves cookies this page never saw granted
    clearCookies(refused);
    if (consentMode.enabled) gtag('consent', 'update', consentModeUpdate(purposes, decisions));
    gate.scan();
    const s = { ...snapshot(), reloadSuggested };
    announce(s);
    (reloadSuggested ? theUi() : ui)?.changed(s);
  }

  function choose(interaction: Exclude<BannerInteraction, 'gpc'>, raw: Record<string, boolean> = {}): void {
    if (interaction !== 'custom') {
      raw = {};
      for (const p of purposes) raw[p.key] = interaction === 'accept_all';
    }
    const next = effectiveDecisions(purposes, raw, gpc);
    record(interaction, chosenOnly(purposes, next));
    store(next);
    beacon(interaction);
    apply(next);
  }

  // GPC: record the opt-out of sale/sharing at once, without asking, unless it is already on file.
  const locked = purposes.filter((p) => isGpcLocked(p, gpc));
  if (locked.length && !(stored && locked.every((p) => stored!.d[p.key] === false))) {
    const off: Record<string, boolean> = {};
    for (const p of locked) off[p.key] = false;
    record('gpc', off);
    clearCookies(off);
    if (current()) store(decisions, stored!.t);
    else store({ ...stored?.d, ...off }, Date.now(), true);
  }

  if (current()) {
    if (consentMode.enabled) gtag('consent', 'update', consentModeUpdate(purposes, decisions));
    // Safari keeps a cookie written by script 7 days at most: written again at each visit, with what
    // is left of the choice's lifetime, a returning visitor is not asked again before it ends
    writeCookie(COOKIE, encodeChoice(stored!), cfg.choiceDays - (Date.now() - stored!.t) / 864e5);
  }
  // choices queued by an earlier page go out once this one has settled, off its critical path; a
  // queue comes with a stored choice, so a first visit does not read localStorage at all
  if (stored) setTimeout(() => delivery.flush(), 500);
  w.addEventListener('online', () => delivery.flush(true));

  const api: BannerApi = {
    config: cfg,
    get: snapshot,
    on(_type, fn) {
      const h = (e: CustomEvent<ConsentSnapshot>) => fn(e.detail);
      w.addEventListener('assent:change', h);
      return () => w.removeEventListener('assent:change', h);
    },
    show: (details = false) =>
      theUi() ? ui!.open(details) : w.dispatchEvent(new CustomEvent('assent:show', { detail: { details } })),
    acceptAll: () => choose('accept_all'),
    rejectAll: () => choose('reject_all'),
    set: (d) => choose('custom', d),
    async identify(token) {
      const r = await fetch(`${endpoint}/identify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ anonymousId, subjectToken: token }),
        credentials: 'omit',
      });
      if (!r.ok) throw new Error(`assent: identify failed (${r.status})`);
      const res: CollectIdentifyResult = await r.json();
      subjectToken = token;
      lsSet(SUBJECT, token);
      // The person's own choices, already in the ledger: applied here, not recorded again.
      const at = res.decidedAt ? Date.parse(res.decidedAt) : Date.now();
      // a whole, current choice only: a purpose the person was never asked about is asked here
      const whole = purposes.every(
        (p) => p.category === 'necessary' || isGpcLocked(p, gpc) || p.key in res.decisions,
      );
      if (whole && Date.now() - at < cfg.choiceDays * 864e5) {
        const next = effectiveDecisions(purposes, res.decisions, gpc);
        store(next, at);
        apply(next);
      }
      return res;
    },
  };

  // The banner goes in as soon as the parser has made <body>, at the end of that parser task, so
  // that it is in the page's first frame (DOMContentLoaded can come a frame or more later).
  if (makeUi && !current() && !readCookie(jar, DISMISSED)) withBody(() => theUi()!.open(false, true));
  const onDom = (fn: () => void) =>
    document.readyState === 'loading' ? document.addEventListener('DOMContentLoaded', fn) : fn();
  // the dataLayer the Consent Mode default went into: a page that assigns a new array after this
  // script (an older GTM snippet does) has dropped it
  const layer = w.dataLayer;
  // `assent:ready` once the document is parsed, so that a listener in any of the page's scripts
  // hears it; `window.assent` can be used before that
  onDom(() => {
    if (consentMode.enabled && w.dataLayer !== layer) {
      gtag('consent', 'default', consentModeDefault(consentMode));
      if (current()) gtag('consent', 'update', consentModeUpdate(purposes, decisions));
    }
    gate.scan();
    new MutationObserver(gate.scan).observe(document, { childList: true, subtree: true });
    emit('ready', snapshot());
    ready = true;
    if (heldChange) emit('change', heldChange);
    heldChange = null;
  });
  return api;
}
