export { bootstrap, DEFAULT_WORKSPACE_KEY } from './bootstrap.ts';
export type { Config } from './config.ts';
export { loadConfig } from './config.ts';
export { serveWriteLock, type WriteLock, workerWriteLock } from './db/cluster-write-lock.ts';
export type { Db } from './db/database.ts';
export { createDatabase, migrate } from './db/database.ts';
export { createApiKeyCommand, seedDemoCommand, verifyLedgerCommand } from './operations.ts';
export type { Server } from './server.ts';
export { createServer, loggerOptions } from './server.ts';
