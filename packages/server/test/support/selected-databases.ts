export type TestDatabase = 'sqlite' | 'postgres';

/** ASSENT_TEST_DATABASES=sqlite,postgres (the default) picks the databases every store test runs on. */
export function selectedDatabases(): TestDatabase[] {
  const raw = process.env.ASSENT_TEST_DATABASES ?? 'sqlite,postgres';
  const picked = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of picked) {
    if (p !== 'sqlite' && p !== 'postgres') throw new Error(`ASSENT_TEST_DATABASES: unknown database "${p}"`);
  }
  return picked as TestDatabase[];
}
