// The entry of a verification worker thread. On Node 20 a worker does not inherit the TypeScript
// loader its parent runs under (tsx via --import, tsx's register(), or vitest), so it loads the
// worker through tsx's namespaced import, which works whether or not another loader is active.
import { tsImport } from 'tsx/esm/api';

await tsImport('./ledger-verify-worker.ts', import.meta.url);
