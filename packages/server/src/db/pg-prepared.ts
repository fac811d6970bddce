import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Distinct query texts kept as prepared statements; more than this (it should not happen) run unprepared. */
const MAX_NAMED = 2000;
const names = new Map<string, string>();

const nameOf = (text: string): string | null => {
  let name = names.get(text);
  if (name) return name;
  if (names.size >= MAX_NAMED) return null;
  name = `a_${createHash('sha1').update(text).digest('base64url')}`;
  names.set(text, name);
  return name;
};

/**
 * Makes every parameterised query of `client` a named prepared statement, one per query text.
 * Unnamed, PostgreSQL parses and plans each statement anew; named, it parses a text once per
 * connection and, after a few runs, keeps one generic plan: the ledger's writes are a handful
 * of texts run again and again. Queries without parameters (BEGIN, COMMIT) are left as they are.
 */
export function prepareByText(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && args.length === 2) {
      const name = nameOf(text);
      if (name) return query({ name, text, values });
    }
    return query(...args);
  };
}
