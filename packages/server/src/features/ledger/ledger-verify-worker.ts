import { parentPort, workerData } from 'node:worker_threads';
import type { ChainsReport, SubjectRange } from './ledger-chain-check.ts';
import { openLedgerReader } from './ledger-verify-sqlite.ts';

/** What the pool gives a thread at start (workerData). */
export interface ThreadSetup {
  file: string;
  workspaceId: string | null;
}

export type ThreadReply =
  | { kind: 'ready' }
  | { kind: 'progress'; records: number }
  | { kind: 'done'; report: ChainsReport }
  | { kind: 'failed'; message: string; code?: string };

// a verification thread: its own read-only connection, ranges in, reports out
if (parentPort) {
  const port = parentPort;
  const setup = workerData as ThreadSetup;
  const reply = (m: ThreadReply) => port.postMessage(m);
  const reader = openLedgerReader(setup.file, setup.workspaceId);
  port.on('message', async (range: SubjectRange) => {
    try {
      const report = await reader.verifyRange(range, (records) => reply({ kind: 'progress', records }));
      reply({ kind: 'done', report });
    } catch (err) {
      // the code (SQLITE_BUSY...) tells a database out of reach from a broken ledger
      const code = (err as { code?: unknown }).code;
      reply({ kind: 'failed', message: (err as Error).message, ...(typeof code === 'string' && { code }) });
    }
  });
  reply({ kind: 'ready' });
}
