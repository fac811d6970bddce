/** Settings whose name looks like a credential are write-only: stored, never returned. */
const SECRET_NAME = /token|secret|password|api[-_]?key/i;

export const isSecretName = (name: string) => SECRET_NAME.test(name);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The settings without their secrets, and the dotted paths of the secrets that are set. */
export function redactSettings(settings: Record<string, unknown>): {
  settings: Record<string, unknown>;
  secretsSet: string[];
} {
  const secretsSet: string[] = [];
  const walk = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}${i}.`));
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (isSecretName(k)) {
        if (v !== null && v !== undefined) secretsSet.push(`${path}${k}`);
      } else out[k] = walk(v, `${path}${k}.`);
    }
    return out;
  };
  return { settings: walk(settings, '') as Record<string, unknown>, secretsSet: secretsSet.sort() };
}

/**
 * New settings replace the old ones, except that a secret the client did not send is kept (the
 * client never saw it) and a secret sent as null is removed.
 */
export function mergeSettings(
  previous: Record<string, unknown>,
  next: Record<string, unknown>,
): Record<string, unknown> {
  const merge = (old: Record<string, unknown>, now: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...now };
    for (const [k, v] of Object.entries(old)) {
      if (isSecretName(k)) {
        if (!(k in now)) out[k] = v;
      } else if (isPlainObject(v) && isPlainObject(now[k])) {
        out[k] = merge(v, now[k]);
      }
    }
    return out;
  };
  return dropNullSecrets(merge(previous, next)) as Record<string, unknown>;
}

/** Secrets sent as null mean "remove": they are not stored. */
export function dropNullSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNullSecrets);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (isSecretName(k) && v === null) continue;
    out[k] = dropNullSecrets(v);
  }
  return out;
}
