import { SYSTEM_ACTOR } from '../domain/actor.js';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openSession } from '../adapters/postgres/database-servers.js';
import { quoteIdent, quoteLiteral } from '../adapters/postgres/sql-text.js';
import type { SqlSession } from '../ports/database-server.js';
import type { Environment } from '../domain/environment.js';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import { withCredentials } from '../adapters/postgres/connection-url.js';
import { MARKER, databaseMarker, isOurs, markDatabase, roleMarker } from '../adapters/postgres/ownership-marker.js';
import { scramVerifier } from '../adapters/postgres/scram-verifier.js';
import { addEnvironment } from './environment-service.js';
import type { Runtime } from './runtime.js';
import { type SampleProgress, loadSampleIntoEnvironment } from './sample-data.js';
import { removeMirrorsOf } from './mirror-service.js';

/**
 * The demo project of DESIGN §6: a production environment, a sandbox that can be refreshed
 * from it, one on an older release and one in another tenant (both refused, with reasons).
 * The one on the older release uses retail: upgraded with a package, it shows the
 * reprovisioning tool after a refresh.
 */
interface DemoEnvironment {
  readonly name: string;
  readonly type: 'production' | 'sandbox';
  readonly tenant: string;
  readonly applicationRelease: string;
  readonly platformUpdate: number;
  readonly financialReportingVersion: string;
  readonly syncCommand: string | null;
  /** Uses retail: a refresh into it runs the Environment Reprovisioning Tool as its post step. */
  readonly retail: boolean;
  /** The account that becomes Admin after a refresh (the seed's web.config value). */
  readonly administrator: string;
}

export const DEMO_ENVIRONMENTS: readonly DemoEnvironment[] = [
  { name: 'contoso-prod', type: 'production', tenant: 'contoso.com', applicationRelease: '10.0.38', platformUpdate: 62, financialReportingVersion: '10.0.38.3', syncCommand: null, retail: false, administrator: 'admin@contoso.com' },
  { name: 'contoso-uat', type: 'sandbox', tenant: 'contoso.com', applicationRelease: '10.0.38', platformUpdate: 62, financialReportingVersion: '10.0.38.3', syncCommand: 'dataalm sample customise uat-notes', retail: false, administrator: 'sandbox.admin@contoso.com' },
  { name: 'contoso-test', type: 'sandbox', tenant: 'contoso.com', applicationRelease: '10.0.37', platformUpdate: 61, financialReportingVersion: '10.0.37.2', syncCommand: null, retail: true, administrator: 'admin@contoso.com' },
  { name: 'fabrikam-uat', type: 'sandbox', tenant: 'fabrikam.com', applicationRelease: '10.0.38', platformUpdate: 62, financialReportingVersion: '10.0.38.3', syncCommand: null, retail: false, administrator: 'admin@fabrikam.com' },
];

export interface DemoOptions {
  readonly scale: number;
  /** Drop the demo environments' databases and registrations and create them anew. */
  readonly reset: boolean;
  readonly onProgress?: (event: SampleProgress) => void;
  readonly onStep?: (message: string) => void;
}

export interface DemoResult {
  readonly created: boolean;
  readonly scale: number;
  readonly environments: Environment[];
}

const DEMO_SETTING = 'demo';

export async function createDemo(runtime: Runtime, options: DemoOptions): Promise<DemoResult> {
  const existing = await runtime.settings.get<{ scale: number }>(DEMO_SETTING);
  if (existing && !options.reset) {
    const environments = (await runtime.environments.list()).filter((e) => DEMO_ENVIRONMENTS.some((d) => d.name === e.name));
    return { created: false, scale: existing.scale, environments };
  }
  const admin = await openSession(runtime.serverUrl, 'dataalm demo');
  const environments: Environment[] = [];
  try {
    await checkPrivileges(admin);
    await checkDemoObjects(admin);
    // Marked done only at the end: an interrupted creation is redone by the next start or demo.
    await runtime.settings.delete(DEMO_SETTING);
    for (const spec of DEMO_ENVIRONMENTS) {
      options.onStep?.(`${spec.name}: creating databases`);
      if (await runtime.environments.find(spec.name)) {
        await removeMirrorsOf(runtime, spec.name, SYSTEM_ACTOR);
        await runtime.environments.remove(spec.name, SYSTEM_ACTOR);
      }
      const urls = await provisionDatabases(admin, runtime.serverUrl, spec.name);
      const storage = createDocumentStorage(runtime.config.home, spec.name);
      environments.push(
        await addEnvironment(
          runtime,
          {
            name: spec.name,
            type: spec.type,
            tenant: spec.tenant,
            administrator: spec.administrator,
            applicationRelease: spec.applicationRelease,
            platformUpdate: spec.platformUpdate,
            financialReportingVersion: spec.financialReportingVersion,
            retail: spec.retail,
            profile: 'finance-operations',
            documentStorage: storage,
            syncCommand: spec.syncCommand,
            databaseUrls: urls,
          },
          SYSTEM_ACTOR,
        ),
      );
      options.onStep?.(`${spec.name}: loading sample data (scale ${options.scale})`);
      await loadSampleIntoEnvironment(runtime, spec.name, {
        scale: options.scale,
        replace: true,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    }
  } finally {
    await admin.end();
  }
  await runtime.settings.set(DEMO_SETTING, { scale: options.scale, createdAt: new Date().toISOString() });
  return { created: true, scale: options.scale, environments };
}

/**
 * Each environment gets its own login role with a generated password and owns its two
 * databases, so credentials differ per environment. Only databases and roles that dataalm
 * created (marked) are ever dropped or changed: a server shared with others is safe.
 */
async function provisionDatabases(
  admin: SqlSession,
  serverUrl: string,
  name: string,
): Promise<{ application: string; financialReporting: string }> {
  const { databases, role } = demoObjects(name);
  const roleComment = await roleMarker(admin, role);
  for (const database of Object.values(databases)) {
    await admin.query(`drop database if exists ${quoteIdent(database)} with (force)`);
  }
  // The environment's role is dataalm's (checked before): what it owns besides are the
  // staging databases and breadcrumbs of its refreshes, gone with the environment.
  const owned = await admin.query<{ datname: string }>(
    'select d.datname from pg_database d join pg_roles r on r.oid = d.datdba where r.rolname = $1',
    [role],
  );
  for (const { datname } of owned.rows) await admin.query(`drop database if exists ${quoteIdent(datname)} with (force)`);
  const password = randomBytes(18).toString('base64url');
  const verb = roleComment === undefined ? 'create' : 'alter';
  // CREATEDB: a refresh builds staging databases beside the environment's and renames them.
  await admin.query(`${verb} role ${quoteIdent(role)} login createdb password ${quoteLiteral(scramVerifier(password))}`);
  await admin.query(`comment on role ${quoteIdent(role)} is ${quoteLiteral(`${MARKER} demo environment ${name}`)}`);
  for (const database of Object.values(databases)) {
    await admin.query(`create database ${quoteIdent(database)} owner ${quoteIdent(role)}`);
    await markDatabase(admin, database, `demo environment ${name}`, quoteIdent);
    // Only the environment's own role may connect, not every login of the server.
    await admin.query(`revoke connect, temporary on database ${quoteIdent(database)} from public`);
  }
  const url = (database: string) => withCredentials(serverUrl, role, password, database);
  return { application: url(databases.application), financialReporting: url(databases.financialReporting) };
}

function demoObjects(name: string): { databases: { application: string; financialReporting: string }; role: string } {
  const base = name.replace(/-/g, '_');
  return { databases: { application: `${base}_app`, financialReporting: `${base}_reporting` }, role: `${base}_owner` };
}

/** Before anything changes: every database and role the demo would replace must be dataalm's. */
async function checkDemoObjects(admin: SqlSession): Promise<void> {
  const remedy = 'remove it yourself, or keep the demo on another server with DATAALM_DATABASE_URL';
  for (const spec of DEMO_ENVIRONMENTS) {
    const { databases, role } = demoObjects(spec.name);
    for (const database of Object.values(databases)) {
      const marker = await databaseMarker(admin, database);
      if (marker !== undefined && !isOurs(marker)) {
        throw new DataalmError('ALREADY_EXISTS', `database "${database}" exists on the server and is not dataalm's; nothing was changed`, { remedy });
      }
    }
    const comment = await roleMarker(admin, role);
    if (comment !== undefined && !isOurs(comment)) {
      throw new DataalmError('ALREADY_EXISTS', `role "${role}" exists on the server and is not dataalm's; nothing was changed`, { remedy });
    }
  }
}

/** The demo creates roles and databases: say so up front rather than half-way. */
async function checkPrivileges(admin: SqlSession): Promise<void> {
  const me = await admin.query<{ rolname: string; ok: boolean }>(
    'select rolname, (rolsuper or (rolcreaterole and rolcreatedb)) as ok from pg_roles where rolname = current_user',
  );
  const row = me.rows[0];
  if (!row?.ok) {
    throw new DataalmError(
      'FORBIDDEN',
      `the demo creates a login role and databases per environment, and "${row?.rolname ?? 'this user'}" may not (it needs CREATEROLE and CREATEDB)`,
      { remedy: 'grant them, use a superuser URL in DATAALM_DATABASE_URL, or run the demo on the embedded default' },
    );
  }
}

/** A document-storage folder with a few attachment files that belong to this environment. */
function createDocumentStorage(home: string, name: string): string {
  const folder = path.join(home, 'storage', name);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(path.join(folder, 'documents'), { recursive: true });
  for (const [file, text] of [
    ['invoice-template.txt', `Invoice template of ${name}\n`],
    ['purchase-order-template.txt', `Purchase order template of ${name}\n`],
    ['logo.txt', `Company logo placeholder for ${name}\n`],
  ] as const) {
    fs.writeFileSync(path.join(folder, 'documents', file), text);
  }
  return folder;
}
