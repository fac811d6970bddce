// No regular expression or parseInt: the first regular expression a page runs costs it about half a
// millisecond, and this runs during the page's load.
const HEX = '0123456789abcdef';
const luminance = (hex: string): number | null => {
  let h = hex.trim().toLowerCase();
  if (h[0] === '#') h = h.slice(1);
  if (h.length === 3) h = h[0] + h[0] + h[1] + h[1] + h[2] + h[2];
  if (h.length !== 6) return null;
  let l = 0;
  for (let i = 0; i < 3; i++) {
    const hi = HEX.indexOf(h[2 * i]);
    const lo = HEX.indexOf(h[2 * i + 1]);
    if (hi < 0 || lo < 0) return null;
    const c = (hi * 16 + lo) / 255;
    l += [0.2126, 0.7152, 0.0722][i] * (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  }
  return l;
};

/** Black or white, whichever reads better on `background` (WCAG contrast), so any brand colour stays legible. */
export function readableOn(background: string): '#000' | '#fff' {
  const l = luminance(background);
  if (l === null) return '#fff';
  // contrast with white (1.05 / (l + .05)) vs with black ((l + .05) / .05)
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#fff' : '#000';
}
