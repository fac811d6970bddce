/** The first preferred language the config has, exactly or by primary subtag (`fr-CA` -> `fr`). */
export function pickLanguage(preferred: readonly string[], available: string[], fallback: string): string {
  const have = available.map((a) => a.toLowerCase());
  const primary = (tag: string) => tag.split('-')[0];
  for (const tag of preferred) {
    const want = tag.toLowerCase();
    let i = have.indexOf(want);
    if (i < 0) i = have.findIndex((a) => primary(a) === primary(want));
    if (i >= 0) return available[i];
  }
  return fallback;
}
