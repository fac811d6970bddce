/** The choice kept in the first-party `assent_consent` cookie, with short keys to stay small. */
export interface StoredChoice {
  /** anonymous id */
  a: string;
  /** decisions by purpose key (necessary purposes left out) */
  d: Record<string, boolean>;
  /** notice version id shown */
  n: string;
  /** config revision the choice was made under */
  r: string;
  /** epoch ms of the choice */
  t: number;
  /** GPC was on */
  g: boolean;
  /** 1: only the automatic GPC opt-out, the person has not chosen yet */
  x?: 1;
}

export const encodeChoice = (c: StoredChoice): string => encodeURIComponent(JSON.stringify(c));

export function decodeChoice(value: string | null | undefined): StoredChoice | null {
  // a first visit has no cookie: return before JSON.parse throws, a throw costs a stack trace
  if (!value) return null;
  try {
    const c = JSON.parse(decodeURIComponent(value ?? ''));
    const ok =
      typeof c?.a === 'string' &&
      typeof c.r === 'string' &&
      typeof c.t === 'number' &&
      typeof c.d === 'object' &&
      c.d !== null;
    return ok ? c : null;
  } catch {
    return null;
  }
}

/** A choice stays in force until the notice changes materially or it is `days` old (CNIL: ask again). */
export const isChoiceCurrent = (c: StoredChoice, revision: string, days: number, now: number): boolean =>
  !c.x && c.r === revision && now - c.t < days * 864e5;
