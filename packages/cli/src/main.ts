import { parseArgs } from 'node:util';
import {
  createApiKeyCommand,
  createDatabase,
  loadConfig,
  migrate,
  seedDemoCommand,
  verifyLedgerCommand,
} from '@assent/server';
import { serve } from './serve.ts';

const usage = `assent: consent and preference management

Usage:
  assent serve                 migrate, seed the demo workspace on a first start, serve the API
  assent migrate               run pending database migrations and exit
  assent keys create --role R [--name N] [--workspace KEY]
                               create an API key and print its secret once
  assent ledger verify [--workspace KEY]
                               recompute every hash chain and checkpoint; exit 1 on a broken link
  assent demo                  seed the demo workspace into the database

Configuration comes from the environment: PORT, HOST, DATA_DIR, DATABASE_URL, PUBLIC_URL,
ASSENT_BOOTSTRAP_KEY, ASSENT_DEMO, WORKERS, SMTP_URL, MAIL_FROM (see the README).`;

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      name: { type: 'string' },
      workspace: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub] = positionals;
  if (values.help || !command) {
    out(usage);
    return command || values.help ? 0 : 2;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve':
      await serve(config, out);
      return -1;
    case 'migrate': {
      const db = createDatabase({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        sqliteCacheMb: config.sqliteCacheMb,
        sqliteMmapMb: config.sqliteMmapMb,
      });
      try {
        const { applied } = await migrate(db);
        out(applied.length ? `applied: ${applied.join(', ')}` : 'the database is up to date');
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'keys': {
      if (sub !== 'create' || !values.role) {
        process.stderr.write('usage: assent keys create --role <role> [--name <name>] [--workspace <key>]\n');
        return 2;
      }
      const { key, secret } = await createApiKeyCommand(config, {
        role: values.role,
        name: values.name,
        workspace: values.workspace,
      });
      out(`created ${key.role} key ${key.id} ("${key.name}")`);
      out(`secret (shown once): ${secret}`);
      return 0;
    }
    case 'ledger': {
      if (sub !== 'verify') {
        process.stderr.write('usage: assent ledger verify [--workspace <key>]\n');
        return 2;
      }
      const started = Date.now();
      const report = await verifyLedgerCommand(config, {
        workspace: values.workspace,
        onProgress: (n) => process.stderr.write(`  verified ${n.toLocaleString('en')} records...\n`),
      });
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      out(
        `${report.records} records in ${report.subjects} chains, ${report.checkpoints} checkpoints, ${secs} s`,
      );
      if (report.ok) {
        out('ok: every hash chain and checkpoint verifies');
        return 0;
      }
      out(`BROKEN: ${report.problems.length}${report.problems.length >= 100 ? '+' : ''} problem(s)`);
      for (const p of report.problems.slice(0, 20)) {
        const where = [
          p.recordId && `record ${p.recordId}`,
          p.subjectId && `subject ${p.subjectId}`,
          p.seq && `seq ${p.seq}`,
          p.checkpointId && `checkpoint ${p.checkpointId}`,
        ]
          .filter(Boolean)
          .join(', ');
        out(`  ${p.kind}: ${where}: ${p.detail}`);
      }
      return 1;
    }
    case 'demo': {
      await seedDemoCommand(config, values.workspace);
      out('demo workspace seeded');
      return 0;
    }
    default:
      process.stderr.write(
        `assent: unknown command "${[command, sub].filter(Boolean).join(' ')}"\n\n${usage}\n`,
      );
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: Error) => {
    process.stderr.write(`assent: ${err.message}\n`);
    process.exit(1);
  },
);
