import type { TestProject } from 'vitest/node';
import { type PgCluster, startPgCluster } from './pg-cluster.ts';
import { selectedDatabases } from './selected-databases.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
  }
}

let cluster: PgCluster | null = null;

/** Starts one PostgreSQL cluster for the whole run; each test file creates its own database in it. */
export async function setup(project: TestProject) {
  const dbs = selectedDatabases();
  if (!dbs.includes('postgres')) {
    console.warn(
      '\n*** ASSENT_TEST_DATABASES excludes postgres: the PostgreSQL half of the suite is NOT running ***\n',
    );
    project.provide('pgUrl', null);
    return;
  }
  cluster = await startPgCluster();
  project.provide('pgUrl', cluster.url);
}

export async function teardown() {
  cluster?.stop();
}
