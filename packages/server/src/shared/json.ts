/** Parses a JSON column, tolerating an empty value. */
export function parseJson<T = Record<string, unknown>>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  return JSON.parse(text) as T;
}
