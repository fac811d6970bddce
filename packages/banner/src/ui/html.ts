/**
 * Escapes text for an HTML text node or a double-quoted attribute value. String splits rather than a
 * regular expression: the first regular-expression replace on a page costs most of a millisecond.
 */
export const esc = (s: string): string =>
  s.split('&').join('&amp;').split('<').join('&lt;').split('>').join('&gt;').split('"').join('&quot;');

/** An attribute, or nothing when the value is null, undefined or false. */
export const attr = (name: string, value: string | boolean | null | undefined): string =>
  value === true ? ` ${name}` : value || value === '' ? ` ${name}="${esc(value)}"` : '';
