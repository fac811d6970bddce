import type { Migration } from 'kysely';
import * as initial from './20261123T1800-initial.ts';
import * as collect from './20261125T1800-collect.ts';
import * as consentStateClustered from './20261125T2130-consent-state-clustered.ts';
import * as historyFromChain from './20261126T0500-history-from-chain.ts';
import * as chosenKeyPrefix from './20261126T1030-chosen-key-prefix.ts';
import * as subjectsClustered from './20261127T0800-subjects-clustered.ts';

/** Every migration, in order. Add new files here; never edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '20261123T1800-initial': initial,
  '20261125T1800-collect': collect,
  '20261125T2130-consent-state-clustered': consentStateClustered,
  '20261126T0500-history-from-chain': historyFromChain,
  '20261126T1030-chosen-key-prefix': chosenKeyPrefix,
  '20261127T0800-subjects-clustered': subjectsClustered,
};
