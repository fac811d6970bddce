import type { BannerConfig, BannerPurpose } from '@assent/core/collect';
import { consentModeTypes } from '@assent/core/types';

// security_storage is strictly necessary storage (fraud, auth): granted in the default and every update.
const types = consentModeTypes.filter((t) => t !== 'security_storage');

type ConsentModeState = Record<string, unknown>;

/** The `gtag('consent', 'default', ...)` argument: everything denied until a choice. */
export function consentModeDefault(cm: BannerConfig['consentMode']): ConsentModeState {
  const o: ConsentModeState = {};
  for (const t of types) o[t] = 'denied';
  o.security_storage = 'granted';
  o.wait_for_update = cm.waitForUpdate;
  if (cm.regions.length) o.region = cm.regions;
  return o;
}

/** The `gtag('consent', 'update', ...)` argument: a type is granted iff a granted purpose lists it. */
export function consentModeUpdate(purposes: BannerPurpose[], d: Record<string, boolean>): ConsentModeState {
  const o: ConsentModeState = {};
  for (const t of types) {
    o[t] = purposes.some((p) => d[p.key] && p.consentMode.includes(t)) ? 'granted' : 'denied';
  }
  o.security_storage = 'granted';
  return o;
}
