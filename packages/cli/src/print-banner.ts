/** The lines a person starting the server reads: where it is, the docs, the owner key once. */
export function printBanner(
  out: (line: string) => void,
  s: {
    base: string;
    database: string;
    workers?: number;
    ownerSecret?: string | null;
    createdOwnerKey: boolean;
  },
) {
  const workers = s.workers && s.workers > 1 ? `, ${s.workers} worker processes` : '';
  out('');
  out(`  Assent is running at ${s.base}  (database: ${s.database}${workers})`);
  out(`  API docs:            ${s.base}/docs`);
  if (s.ownerSecret) {
    out(`  Owner API key:       ${s.ownerSecret}`);
    out('                       (shown once: keep it; it is stored only as a hash)');
  } else if (s.createdOwnerKey) {
    out('  Owner API key:       the value of ASSENT_BOOTSTRAP_KEY');
  }
  out('');
}
