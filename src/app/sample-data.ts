import { SYSTEM_ACTOR } from '../domain/actor.js';
import { openSession } from '../adapters/postgres/database-servers.js';
import { quoteIdent } from '../adapters/postgres/sql-text.js';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import type { DatabaseRole, Environment } from '../domain/environment.js';
import { databaseMarker, isOurs, markDatabase } from '../adapters/postgres/ownership-marker.js';
import { parseConnectionUrl } from '../adapters/postgres/connection-url.js';
import { unreachable } from '../adapters/postgres/database-probe.js';
import { createPool } from '../adapters/postgres/create-pool.js';
import { loadSampleApplication, loadSampleReporting, type SampleSummary } from '../sample/generate-sample.js';
import { CUSTOMISATIONS } from '../sample/customisations.js';
import type { Runtime } from './runtime.js';

export interface SampleProgress {
  readonly environment: string;
  readonly role: DatabaseRole;
  readonly table: string;
  readonly done: number;
  readonly total: number;
}

export interface SampleLoadOptions {
  readonly scale: number;
  /** Drop what the database holds first; without it a non-empty database is refused. */
  readonly replace: boolean;
  readonly onProgress?: (event: SampleProgress) => void;
}

export type SampleLoadResult = Partial<Record<DatabaseRole, SampleSummary>>;

/**
 * Fills an environment's databases with the sample application. The content depends only
 * on the scale and the environment's name, so two environments differ in their
 * environment-specific rows and a reload gives the same data.
 */
export async function loadSampleIntoEnvironment(
  runtime: Runtime,
  name: string,
  options: SampleLoadOptions,
): Promise<SampleLoadResult> {
  if (!(options.scale > 0 && options.scale <= 100)) {
    throw new DataalmError('INVALID_INPUT', 'scale (--scale): must be a number above 0 and at most 100', { field: 'scale' });
  }
  const environment = await runtime.environments.get(name);
  const urls = await runtime.environments.connectionUrls(name);
  const result: SampleLoadResult = {};
  for (const role of ['application', 'financialReporting'] as const) {
    const url = urls[role];
    if (url === undefined) continue;
    result[role] = await loadInto(url, role, environment, options);
  }
  await runtime.environments.audit(SYSTEM_ACTOR, 'sample.load', name, { scale: options.scale });
  return result;
}

async function loadInto(
  url: string,
  role: DatabaseRole,
  environment: Environment,
  options: SampleLoadOptions,
): Promise<SampleSummary> {
  const pool = createPool(url, 3);
  try {
    const target = parseConnectionUrl(url, role);
    let tables: number;
    let marker: string | null | undefined;
    try {
      tables = Number((await pool.query(`select count(*) as n from pg_tables where schemaname = 'public'`)).rows[0].n);
      const client = await pool.connect();
      try {
        marker = await databaseMarker(client, target.database);
      } finally {
        client.release();
      }
    } catch (cause) {
      throw unreachable(target, role, cause);
    }
    if (tables > 0) {
      // dataalm's own sample data is replaced freely; anything else is somebody's data.
      if (!isOurs(marker)) {
        if (environment.type === 'production') {
          throw new DataalmError(
            'FORBIDDEN',
            `the ${role} database of production environment "${environment.name}" holds data that is not dataalm's sample; nothing was changed`,
            { field: 'env' },
          );
        }
        if (!options.replace) {
          throw new DataalmError(
            'ALREADY_EXISTS',
            `the ${role} database of "${environment.name}" already holds ${tables} tables that are not dataalm's sample; nothing was changed`,
            { field: 'replace', remedy: 'add --replace to drop its contents and load the sample instead' },
          );
        }
      }
      await pool.query('drop schema public cascade');
      await pool.query('create schema public');
    }
    const sampleOptions = {
      scale: options.scale,
      variant: environment.name,
      tenant: environment.tenant,
      administrator: environment.administrator,
      onProgress: (e: { table: string; done: number; total: number }) =>
        options.onProgress?.({ environment: environment.name, role, ...e }),
    };
    const summary =
      role === 'application' ? await loadSampleApplication(pool, sampleOptions) : await loadSampleReporting(pool, sampleOptions);
    await markDatabase(pool, target.database, `sample ${role} data, scale ${options.scale}, environment ${environment.name}`, quoteIdent);
    return summary;
  } finally {
    await pool.end();
  }
}

/** Applies one of the sample customisations to a database; returns the statement count. */
export async function applyCustomisation(name: string, url: string | undefined): Promise<number> {
  const customisation = CUSTOMISATIONS[name];
  if (!customisation) {
    throw new DataalmError('INVALID_INPUT', `name: unknown customisation "${name}" (known: ${Object.keys(CUSTOMISATIONS).join(', ')})`, {
      field: 'name',
    });
  }
  if (url === undefined) {
    throw new DataalmError('INVALID_INPUT', 'database-url (--database-url): required when DATABASE_URL is not set', {
      field: 'databaseUrl',
    });
  }
  const target = parseConnectionUrl(url, 'database-url (--database-url)');
  const client = await openSession(url, 'dataalm customise').catch((cause: unknown) => {
    throw unreachable(target, 'database-url (--database-url)', cause);
  });
  try {
    await client.query('begin');
    for (const statement of customisation.statements) await client.query(statement);
    await client.query('commit');
    return customisation.statements.length;
  } finally {
    await client.end();
  }
}
