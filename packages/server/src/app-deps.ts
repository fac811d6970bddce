import type { Config } from './config.ts';
import type { Signer } from './crypto/signer.ts';
import type { Db } from './db/database.ts';

/** What every feature's routes are built from. */
export interface AppDeps {
  config: Config;
  db: Db;
  signer: Signer;
}
