import type { BannerInteraction, BannerPurpose } from '@assent/core/collect';
import { readableOn } from '../lib/contrast.ts';
import { isGpcLocked } from '../lib/decisions.ts';
import type { Controller, Ui } from '../runtime/controller.ts';
import { lsSet } from '../runtime/storage.ts';
import type { ConsentSnapshot } from '../types.ts';
import css from './banner.css';
import { h } from './h.ts';

/** The banner: a first layer (notice + equal Accept/Reject), a second layer of toggles, a reload notice. */
export function createUi(ctl: Controller): Ui {
  const { cfg, texts, gpc } = ctl;
  const L = texts.labels;
  const wall = cfg.cookieWall;
  const theme = cfg.theme;
  const root = h('div', { id: 'assent', lang: ctl.lang, class: wall ? 'assent-w' : null });
  for (const k in theme)
    root.style.setProperty(`--assent-${k.replace(/[A-Z]/g, '-$&').toLowerCase()}`, theme[k]);
  // A brand primary colour gets black or white button text, whichever passes contrast.
  if (theme.primary && !theme.onPrimary)
    root.style.setProperty('--assent-on-primary', readableOn(theme.primary));
  document.head.append(h('style', {}, css));
  document.body.append(root);

  let dialog: HTMLElement | null = null;
  let backdrop: HTMLElement | null = null;
  let returnTo: Element | null = null;
  let note: HTMLElement | null = null;

  const button = (label: string, click: () => void, cls?: string, label2?: string) =>
    h('button', { type: 'button', class: cls, click, 'aria-label': label2 }, label);

  function close(dismissed?: boolean): void {
    if (!dialog) return;
    dialog.remove();
    backdrop?.remove();
    dialog = null;
    document.removeEventListener('keydown', onKey, true);
    if (returnTo instanceof HTMLElement && returnTo.isConnected) returnTo.focus();
    if (dismissed) {
      // Closing is a refusal that is not consent: nothing stored, asked again next session.
      lsSet('assent_dismissed', 1, true);
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

  function purposeItem(p: BannerPurpose, i: number, s: ConsentSnapshot, toggles: HTMLInputElement[]) {
    const necessary = p.category === 'necessary';
    const locked = necessary || isGpcLocked(p, gpc);
    const t = texts.purposes[p.key] ?? { name: p.key, description: '' };
    const id = `assent-${i}`;
    const input = h('input', {
      type: 'checkbox',
      role: 'switch',
      id,
      name: p.key,
      checked: necessary || (!locked && s.decided && s.decisions[p.key]),
      disabled: locked,
      'aria-describedby': `${id}d${locked ? ` ${id}n` : ''}`,
    });
    if (!locked) toggles.push(input);
    const vendors = p.vendors.flatMap((v, j) => [
      j ? ', ' : `${L.vendors}: `,
      v.name,
      v.privacyPolicyUrl && ' (',
      v.privacyPolicyUrl && h('a', { href: v.privacyPolicyUrl }, L.privacyPolicy),
      v.privacyPolicyUrl && ')',
    ]);
    return h(
      'li',
      {},
      h(
        'div',
        { class: 'assent-h' },
        input,
        h('label', { for: id }, t.name),
        locked && h('small', { id: `${id}n` }, necessary ? L.alwaysOn : L.gpcApplied),
      ),
      h('p', { id: `${id}d` }, t.description),
      vendors.length > 0 && h('p', { class: 'assent-v' }, ...vendors),
    );
  }

  function render(details: boolean): void {
    const s = ctl.get();
    const toggles: HTMLInputElement[] = [];
    dialog!.replaceChildren(
      ...([
        !wall && button('×', () => close(true), 'assent-x', L.close),
        h('h2', { id: 'assent-t' }, L.title),
        h('div', { id: 'assent-b', innerHTML: texts.body }),
        details &&
          h('ul', { class: 'assent-l' }, ...cfg.purposes.map((p, i) => purposeItem(p, i, s, toggles))),
        h(
          'div',
          { class: 'assent-a' },
          button(L.acceptAll, () => act('accept_all')),
          button(wall ? wall.alternativeLabel : L.rejectAll, () => act('reject_all')),
          details
            ? button(
                L.save,
                () => act('custom', Object.fromEntries(toggles.map((t) => [t.name, t.checked]))),
                'assent-s',
              )
            : button(L.customize, () => open(true), 'assent-s'),
        ),
        cfg.privacyPolicyUrl && h('a', { href: cfg.privacyPolicyUrl }, L.privacyPolicy),
      ].filter(Boolean) as Node[]),
    );
    // focusing at once would force a layout of the whole page inside the page's own load: wait
    // until the next frame has laid it out and painted
    const first = dialog!.querySelector('button')!;
    requestAnimationFrame(() => setTimeout(() => first.isConnected && first.focus({ preventScroll: true })));
  }

  function open(details = false): void {
    if (!dialog) {
      returnTo = document.activeElement;
      if (wall) {
        backdrop = h('div', { class: 'assent-bd' });
        root.append(backdrop);
      }
      dialog = h('div', {
        class: 'assent-d',
        role: 'dialog',
        'aria-modal': 'true',
        'aria-labelledby': 'assent-t',
        'aria-describedby': 'assent-b',
      });
      root.append(dialog);
      document.addEventListener('keydown', onKey, true);
      ctl.beacon('shown');
    }
    render(details);
    if (details) ctl.beacon('opened_details');
  }

  return {
    open,
    changed(s) {
      close();
      note?.remove();
      if (!s.reloadSuggested) return;
      note = h(
        'div',
        { class: 'assent-n', role: 'status' },
        h('span', {}, L.reloadNeeded),
        button(L.reload, () => location.reload()),
        button('×', () => note!.remove(), 'assent-x', L.close),
      );
      root.append(note);
    },
  };
}
