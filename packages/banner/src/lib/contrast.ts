const luminance = (hex: string): number | null => {
  let h = hex.trim().replace('#', '');
  if (h.length === 3) h = h.replace(/./g, '$&$&');
  if (!/^[\da-f]{6}$/i.test(h)) return null;
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = Number.parseInt(h.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};

/** Black or white, whichever reads better on `background` (WCAG contrast), so any brand colour stays legible. */
export function readableOn(background: string): '#000' | '#fff' {
  const l = luminance(background);
  if (l === null) return '#fff';
  // contrast with white (1.05 / (l + .05)) vs with black ((l + .05) / .05)
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#fff' : '#000';
}
