const SELECTOR =
  'script[type="text/plain"][data-assent-purpose],iframe[data-assent-src][data-assent-purpose]';

/** Whether a browser with module support runs this script element (the HTML "prepare the script" steps). */
function runs(s: HTMLScriptElement): boolean {
  const type = s.type.trim().toLowerCase();
  if (type === 'module') return true;
  return !s.noModule && (!type || /^(text|application)\/(x-)?(java|ecma|j|live)script/.test(type));
}

/**
 * Runs gated scripts and iframes once their purposes are all granted, once each, in document order:
 * an external script blocks the ones after it until it has loaded, as the parser would.
 */
export function createGate(granted: (purposes: string[]) => boolean) {
  /** Purposes whose gated elements already ran: withdrawing one cannot stop them without a reload. */
  const ran = new Set<string>();
  const taken = new WeakSet<Element>();
  const queue: Element[] = [];
  let waiting = false;

  function run(el: Element): void {
    if (el.tagName === 'IFRAME') {
      el.setAttribute('src', el.getAttribute('data-assent-src')!);
      el.removeAttribute('data-assent-src');
      return;
    }
    const old = el as HTMLScriptElement;
    const s = document.createElement('script');
    for (const a of Array.from(old.attributes)) if (a.name !== 'type') s.setAttribute(a.name, a.value);
    // data-assent-type="module" lets a page gate module scripts too
    const type = old.getAttribute('data-assent-type');
    if (type) s.type = type;
    s.nonce = old.nonce;
    s.text = old.text;
    // only a script the browser will fetch and run fires load or error: not a `nomodule` one, not
    // one of another type, and nothing at all when the page already removed the element
    if (s.src && old.isConnected && runs(s)) {
      s.async = false;
      waiting = true;
      s.onload = s.onerror = () => {
        waiting = false;
        next();
      };
    }
    old.replaceWith(s);
  }

  function next(): void {
    while (!waiting && queue.length) run(queue.shift()!);
  }

  function scan(): void {
    document.querySelectorAll(SELECTOR).forEach((el) => {
      const purposes = el.getAttribute('data-assent-purpose')!.split(/\s+/).filter(Boolean);
      if (taken.has(el) || !purposes.length || !granted(purposes)) return;
      taken.add(el);
      for (const p of purposes) ran.add(p);
      queue.push(el);
    });
    next();
  }

  return { scan, ran };
}
