import type { BannerPurpose } from '@assent/core/collect';

/** GPC is a valid opt-out of sale and sharing (11 CCR 7025): those purposes are refused without asking. */
export const isGpcLocked = (p: BannerPurpose, gpc: boolean): boolean =>
  gpc && p.category !== 'necessary' && (p.sale || p.sharing);

/** The decisions in force: necessary always on, GPC-locked always off, the rest only when granted. */
export function effectiveDecisions(
  purposes: BannerPurpose[],
  raw: Record<string, boolean>,
  gpc: boolean,
): Record<string, boolean> {
  const d: Record<string, boolean> = {};
  for (const p of purposes)
    d[p.key] = p.category === 'necessary' || (!isGpcLocked(p, gpc) && raw[p.key] === true);
  return d;
}

/** What the ledger and the cookie keep: necessary purposes are not a choice, so they are left out. */
export function chosenOnly(purposes: BannerPurpose[], d: Record<string, boolean>): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const p of purposes) if (p.category !== 'necessary') out[p.key] = d[p.key] === true;
  return out;
}
