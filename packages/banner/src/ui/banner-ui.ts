import type { BannerInteraction, BannerPurpose } from '@assent/core/collect';
import { readableOn } from '../lib/contrast.ts';
import { isGpcLocked } from '../lib/decisions.ts';
import { type Controller, DISMISSED, type Ui } from '../runtime/controller.ts';
import { writeCookie } from '../runtime/storage.ts';
import type { ConsentSnapshot } from '../types.ts';
import css from './banner.css';
import { attr, esc } from './html.ts';

type Action = Exclude<BannerInteraction, 'gpc'> | 'close' | 'details' | 'reload' | 'note';

/**
 * The banner: a first layer (notice + equal Accept/Reject), a second layer of toggles, a reload notice.
 * Drawn as HTML strings with one delegated click listener: the page's load pays for one parse, not
 * for a script wrapper (and its prototype chain) per element.
 */
export function createUi(ctl: Controller): Ui {
  const { cfg, texts, gpc } = ctl;
  const L = texts.labels;
  const wall = cfg.cookieWall;
  const theme = cfg.theme;
  let vars = '';
  // onPrimary -> --assent-on-primary; `;` would end the declaration: a theme value is one value
  const v = (k: string, value: string) =>
    `--assent-${k
      .split('')
      .map((c) => (c >= 'A' && c <= 'Z' ? `-${c.toLowerCase()}` : c))
      .join('')}:${value.split(';')[0]};`;
  for (const k in theme) vars += v(k, theme[k]);
  // A brand primary colour gets black or white button text, whichever passes contrast.
  if (theme.primary && !theme.onPrimary) vars += v('onPrimary', readableOn(theme.primary));
  let root: HTMLElement | null = null;
  let dialog: HTMLElement | null = null;
  /** Appends `html` to the banner's root, made (with the stylesheet) on first use: one parse for both. */
  function add(html: string): HTMLElement {
    if (root) root.insertAdjacentHTML('beforeend', html);
    else {
      document.head.insertAdjacentHTML('beforeend', `<style>${css}</style>`);
      const attrs = `${attr('lang', ctl.lang)}${attr('class', wall && 'assent-w')}${attr('style', vars || null)}`;
      document.body.insertAdjacentHTML('beforeend', `<div id="assent"${attrs}>${html}</div>`);
      root = document.body.lastElementChild as HTMLElement;
      root.addEventListener('click', onClick);
    }
    return root.lastElementChild as HTMLElement;
  }
  let returnTo: Element | null = null;

  const button = (label: string, action: Action, cls?: string, aria?: string) =>
    `<button type="button" data-a="${action}"${attr('class', cls)}${attr('aria-label', aria)}>${esc(label)}</button>`;

  function close(dismissed?: boolean): void {
    if (!dialog) return;
    dialog.remove();
    root!.querySelector('.assent-bd')?.remove();
    dialog = null;
    document.removeEventListener('keydown', onKey, true);
    if (returnTo instanceof HTMLElement && returnTo.isConnected) returnTo.focus();
    if (dismissed) {
      // Closing is a refusal that is not consent: no choice stored, asked again next session.
      writeCookie(DISMISSED, '1');
      ctl.beacon('dismissed');
    }
  }
  function onKey(e: KeyboardEvent): void {
    if (e.key === 'Escape' && !wall) {
      e.preventDefault();
      close(true);
    }
    if (e.key !== 'Tab') return;
    const f = dialog!.querySelectorAll<HTMLElement>('button,a[href],input:not(:disabled)');
    const first = f[0];
    const last = f[f.length - 1];
    const at = document.activeElement;
    if (!dialog!.contains(at) || at === (e.shiftKey ? first : last)) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    }
  }
  function act(interaction: Exclude<BannerInteraction, 'gpc'>, raw?: Record<string, boolean>): void {
    ctl.choose(interaction, raw);
    if (wall && interaction === 'reject_all') location.href = wall.alternativeUrl;
  }
  function onClick(e: MouseEvent): void {
    const b = (e.target as Element).closest?.('button');
    const a = b && root!.contains(b) && (b.getAttribute('data-a') as Action);
    if (!a) return;
    if (a === 'close') close(true);
    else if (a === 'details') open(true);
    else if (a === 'reload') location.reload();
    else if (a === 'note') b.parentElement!.remove();
    else if (a !== 'custom') act(a);
    else {
      const d: Record<string, boolean> = {};
      dialog!.querySelectorAll<HTMLInputElement>('input:not(:disabled)').forEach((t) => {
        d[t.name] = t.checked;
      });
      act('custom', d);
    }
  }

  function purposeItem(p: BannerPurpose, i: number, s: ConsentSnapshot): string {
    const necessary = p.category === 'necessary';
    const locked = necessary || isGpcLocked(p, gpc);
    const t = texts.purposes[p.key] ?? { name: p.key, description: '' };
    const id = `assent-${i}`;
    const input = `<input type="checkbox" role="switch" id="${id}"${attr('name', p.key)}${attr(
      'checked',
      necessary || (!locked && s.decided && s.decisions[p.key]),
    )}${attr('disabled', locked)} aria-describedby="${id}d${locked ? ` ${id}n` : ''}">`;
    const vendors = p.vendors
      .map(
        (v, j) =>
          (j ? ', ' : `${esc(L.vendors)}: `) +
          esc(v.name) +
          (v.privacyPolicyUrl ? ` (<a${attr('href', v.privacyPolicyUrl)}>${esc(L.privacyPolicy)}</a>)` : ''),
      )
      .join('');
    return `<li><div class="assent-h">${input}<label for="${id}">${esc(t.name)}</label>${
      locked ? `<small id="${id}n">${esc(necessary ? L.alwaysOn : L.gpcApplied)}</small>` : ''
    }</div><p id="${id}d">${esc(t.description)}</p>${vendors && `<p class="assent-v">${vendors}</p>`}</li>`;
  }
  function content(details: boolean): string {
    const s = ctl.get();
    let html = wall ? '' : button('×', 'close', 'assent-x', L.close);
    html += `<h2 id="assent-t">${esc(L.title)}</h2><div id="assent-b">${texts.body}</div>`;
    if (details)
      html += `<ul class="assent-l">${cfg.purposes.map((p, i) => purposeItem(p, i, s)).join('')}</ul>`;
    html += `<div class="assent-a">${button(L.acceptAll, 'accept_all')}${button(wall ? wall.alternativeLabel : L.rejectAll, 'reject_all')}${
      details ? button(L.save, 'custom', 'assent-s') : button(L.customize, 'details', 'assent-s')
    }</div>`;
    if (cfg.privacyPolicyUrl) html += `<a${attr('href', cfg.privacyPolicyUrl)}>${esc(L.privacyPolicy)}</a>`;
    return html;
  }
  function open(details = false, atLoad = false): void {
    if (!dialog) {
      returnTo = document.activeElement;
      dialog = add(
        `${wall ? '<div class="assent-bd"></div>' : ''}<div class="assent-d" role="dialog" aria-modal="true" aria-labelledby="assent-t" aria-describedby="assent-b">${content(details)}</div>`,
      );
      document.addEventListener('keydown', onKey, true);
      ctl.beacon('shown', atLoad);
    } else dialog.innerHTML = content(details);
    if (details) ctl.beacon('opened_details');
    // During the load, focusing at once would force a style and layout of the whole page from this
    // script, and `autofocus` holds back the page's first frame (measured: the banner shows about
    // 20 ms later): wait until the next frame has laid the page out.
    if (atLoad) requestAnimationFrame(() => setTimeout(focusFirst));
    else focusFirst();
  }
  const focusFirst = () => dialog?.querySelector('button')?.focus({ preventScroll: true });
  return {
    open,
    changed(s) {
      close();
      root?.querySelector('.assent-n')?.remove();
      if (!s.reloadSuggested) return;
      add(
        `<div class="assent-n" role="status"><span>${esc(L.reloadNeeded)}</span>${button(L.reload, 'reload')}${button('×', 'note', 'assent-x', L.close)}</div>`,
      );
    },
  };
}
