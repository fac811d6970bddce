import type {
  BannerConfig,
  BannerEventType,
  BannerInteraction,
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
const SUBJECT = 'assent_subject';

/** What the UI needs from the runtime. */
export interface Controller {
  cfg: BannerConfig;
  lang: string;
  texts: BannerTexts;
  gpc: boolean;
  get(): ConsentSnapshot;
  choose(interaction: Exclude<BannerInteraction, 'gpc'>, raw?: Record<string, boolean>): void;
  beacon(type: BannerEventType): void;
}

export interface Ui {
  open(details?: boolean): void;
  /** Called after every change: the UI closes and may offer a reload. */
  changed(s: ConsentSnapshot): void;
}

export type UiFactory = (ctl: Controller) => Ui;

export function createController(cfg: BannerConfig, makeUi?: UiFactory): BannerApi {
  const w = window;
  const { endpoint, purposes, consentMode } = cfg;
  const gtag = (...args: unknown[]) => w.gtag!(...args);
  if (consentMode.enabled) {
    // Must reach the dataLayer before any Google tag fires: this is the first thing the banner does.
    w.dataLayer ||= [];
    const dl = w.dataLayer;
    w.gtag ||= function () {
      // biome-ignore lint/complexity/noArguments: gtag.js only reads Arguments objects from the dataLayer
      dl.push(arguments);
    };
    gtag('consent', 'default', consentModeDefault(consentMode));
  }

  const gpc = (navigator as Navigator & { globalPrivacyControl?: boolean }).globalPrivacyControl === true;
  const lang = pickLanguage(
    navigator.languages || [navigator.language],
    Object.keys(cfg.languages),
    cfg.defaultLanguage,
  );
  const texts = cfg.languages[lang] ?? cfg.languages[cfg.defaultLanguage];
  const delivery = createDelivery(`${endpoint}/consents`);
  let stored = decodeChoice(readCookie(COOKIE));
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
  let ui: Ui | undefined;

  const snapshot = (): ConsentSnapshot => ({
    decided: current(),
    decisions: { ...decisions },
    gpc,
    anonymousId,
    decidedAt: current() ? new Date(stored!.t).toISOString() : null,
  });
  const emit = (name: 'ready' | 'change', detail: ConsentSnapshot) =>
    w.dispatchEvent(new CustomEvent(`assent:${name}`, { detail }));
  const beacon = (type: BannerEventType) =>
    navigator.sendBeacon?.(
      `${endpoint}/events`,
      JSON.stringify({ type, variant: cfg.variant, language: lang }),
    );

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

  /** Puts new decisions in force: withdrawal clean-up, Consent Mode, gated scripts, events. */
  function apply(next: Record<string, boolean>): void {
    let reloadSuggested = false;
    for (const p of purposes) {
      if (!decisions[p.key] || next[p.key]) continue;
      deleteCookies(p.vendors.flatMap((v) => v.cookies));
      reloadSuggested ||= gate.ran.has(p.key);
    }
    decisions = next;
    if (consentMode.enabled) gtag('consent', 'update', consentModeUpdate(purposes, decisions));
    gate.scan();
    const s = { ...snapshot(), reloadSuggested };
    emit('change', s);
    ui?.changed(s);
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
    if (current()) store(decisions, stored!.t);
    else store({ ...stored?.d, ...off }, Date.now(), true);
  }

  if (current() && consentMode.enabled) gtag('consent', 'update', consentModeUpdate(purposes, decisions));
  // choices queued by an earlier page go out once this one has settled, off its critical path
  setTimeout(() => delivery.flush(), 500);
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
      ui ? ui.open(details) : w.dispatchEvent(new CustomEvent('assent:show', { detail: { details } })),
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
      if (Object.keys(res.decisions).length) {
        const next = effectiveDecisions(purposes, res.decisions, gpc);
        store(next, res.decidedAt ? Date.parse(res.decidedAt) : Date.now());
        apply(next);
      }
      return res;
    },
  };
  w.assent = api;

  const onDom = (fn: () => void) =>
    document.readyState === 'loading' ? document.addEventListener('DOMContentLoaded', fn) : fn();
  onDom(() => {
    gate.scan();
    new MutationObserver(gate.scan).observe(document.documentElement, { childList: true, subtree: true });
    if (!makeUi) return;
    ui = makeUi({ cfg, lang, texts, gpc, get: snapshot, choose, beacon });
    if (!current() && !lsGet('assent_dismissed', true)) ui.open();
  });
  emit('ready', snapshot());
  return api;
}
