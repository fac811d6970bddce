type Child = Node | string | false | null | undefined | 0;

/**
 * Tiny element builder: function props are event listeners (`click`), booleans and `innerHTML`
 * are DOM properties, everything else an attribute. Falsy children are skipped.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const k in props) {
    const v = props[k];
    if (typeof v === 'function') e.addEventListener(k, v as EventListener);
    else if (typeof v === 'boolean' || k === 'innerHTML') (e as unknown as Record<string, unknown>)[k] = v;
    else if (v != null) e.setAttribute(k, String(v));
  }
  e.append(...(children.filter(Boolean) as (Node | string)[]));
  return e;
}
