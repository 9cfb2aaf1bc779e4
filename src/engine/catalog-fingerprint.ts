import { createHash } from 'node:crypto';
import type pg from 'pg';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import { CANONICAL_SETTINGS } from './copy-verify.js';
import { objectQueries } from './fingerprint-objects.js';
import { relationQueries } from './fingerprint-relations.js';
import type { FingerprintRow } from './fingerprint-sql.js';

/**
 * Terminology
 * - Catalog fingerprint: one row per object of the user's in a database (not the system's,
 *   not an extension's members, but the extensions themselves): its kind, its identity
 *   (quoted, schema-qualified name), its owner, its privileges, and every other property
 *   that pg_dump would carry (definition, options, comment…). Read by SQL on each server,
 *   set-based, so thousands of tables cost a few statements.
 * - Schema drift: a difference between the source's fingerprint (read in the copy's
 *   snapshot) and the copy's. A copy with drift has lost or changed something silently, so
 *   it fails verification.
 *
 * Deliberately not part of a fingerprint, on either side: user mappings and subscriptions
 * (a copy never carries them), database-level properties (the database's owner, ACL,
 * settings), security labels, and the contents of tables and sequences (copy-verify.ts).
 */
export type { FingerprintRow } from './fingerprint-sql.js';

export interface CatalogFingerprint {
  /** server_version_num of the server it was read on. */
  readonly serverVersion: number;
  /** The role the fingerprint was read as: whom a copy's replaced owners became. */
  readonly user: string;
  readonly rows: readonly FingerprintRow[];
}

/**
 * The role a source role should be in the copy: the profile's role map applied, or
 * undefined when the role is replaced by the connecting user (missingRoles 'target-user').
 * Then what it owned belongs to the connecting user, grants it made are the connecting
 * user's, and grants to it (and policies' mentions of it) are not expected in the copy.
 * Roles named pg_* (the server's predefined roles) always keep their name.
 */
export type ExpectRole = (sourceRole: string) => string | undefined;

export interface FingerprintDifference {
  readonly kind: string;
  readonly identity: string;
  readonly change: 'missing in the copy' | 'only in the copy' | 'differs';
  /** For 'differs': the first property that differs, and its value on each side (JSON). */
  readonly property?: string;
  readonly source?: string;
  readonly copy?: string;
}

/**
 * Reads the fingerprint of the database `client` is connected to. Inside a transaction
 * (the copy's snapshot) it sees the catalog as of that snapshot; deparsed definitions
 * (indexes, constraints) come from the server's current catalog, as pg_dump's do. Sets the
 * session's output settings (CANONICAL_SETTINGS) so both sides print values alike; the
 * search_path is put back as it was.
 */
export async function readCatalogFingerprint(client: pg.ClientBase): Promise<CatalogFingerprint> {
  const info = (
    await client.query<{ v: string; u: string; path: string }>(
      `select current_setting('server_version_num') as v, current_user as u, current_setting('search_path') as path`,
    )
  ).rows[0]!;
  const version = Number(info.v);
  for (const sql of CANONICAL_SETTINGS) await client.query(sql);
  // An empty search_path: names in definitions and reg* outputs come out fully qualified.
  await client.query(`select set_config('search_path', 'pg_catalog', false)`);
  const rows: FingerprintRow[] = [];
  try {
    for (const sql of [...relationQueries(version), ...objectQueries(version)]) {
      rows.push(...(await client.query<FingerprintRow>(sql)).rows);
    }
  } finally {
    await client.query(`select set_config('search_path', $1, false)`, [info.path]);
  }
  return { serverVersion: version, user: info.u, rows };
}

/**
 * The differences between a source's fingerprint and its copy's, ordered by kind and
 * identity. The source's role names pass through `expectRole` first.
 */
export function compareFingerprints(source: CatalogFingerprint, copy: CatalogFingerprint, expectRole: ExpectRole = (role) => role): FingerprintDifference[] {
  // Default privileges of a role replaced by the connecting user are not copied (they would
  // change what the connecting user's own new objects grant).
  const replaced = (row: FingerprintRow) => row.kind === 'default privileges' && row.owner !== null && !row.owner.startsWith('pg_') && expectRole(row.owner) === undefined;
  const alike = sameAcrossMajors(source.serverVersion, copy.serverVersion);
  // Default privileges that granted something only to replaced roles: without those grants
  // what is left is the built-in default (the owner's and PUBLIC's), which the server keeps
  // no row for.
  const emptied = (row: FingerprintRow) => {
    if (row.kind !== 'default privileges' || !row.acl || row.acl.length === 0) return false;
    const left = expectedRoles(row, expectRole, copy.user).acl ?? [];
    if (left.length === row.acl.length) return false;
    const owner = row.owner === null ? null : (expectRole(row.owner) ?? copy.user);
    return left.every(([grantee]) => grantee === '' || grantee === owner);
  };
  const expected = index(source.rows.filter((row) => !replaced(row) && !emptied(row)), (row) => alike(expectedRoles(row, expectRole, copy.user)));
  const actual = index(copy.rows, alike);
  const differences: FingerprintDifference[] = [];
  for (const [key, want] of expected) {
    const got = actual.get(key);
    if (!got) {
      differences.push({ kind: want.kind, identity: want.identity, change: 'missing in the copy' });
      continue;
    }
    const properties = [...new Set([...Object.keys(want.properties), ...Object.keys(got.properties)])].sort();
    const property = properties.find((p) => want.properties[p] !== got.properties[p]);
    if (property !== undefined) {
      differences.push({ kind: want.kind, identity: want.identity, change: 'differs', property, source: want.properties[property], copy: got.properties[property] });
    }
  }
  for (const [key, got] of actual) {
    if (!expected.has(key)) differences.push({ kind: got.kind, identity: got.identity, change: 'only in the copy' });
  }
  return differences.sort((a, b) => compareText(`${a.kind} ${a.identity}`, `${b.kind} ${b.identity}`));
}

/** "schema differs: index public.x missing in the copy; …" with the first `limit` differences. */
export function describeDifferences(differences: readonly FingerprintDifference[], limit = 10): string {
  const shown = differences.slice(0, limit).map((d) => {
    if (d.change !== 'differs') return `${d.kind} ${d.identity} ${d.change}`;
    // Options may hold connection details of foreign servers: say which, not what.
    if (/options/.test(d.property!)) return `${d.kind} ${d.identity}: ${d.property} differ`;
    return `${d.kind} ${d.identity}: ${d.property} differs (source ${brief(d.source)}, copy ${brief(d.copy)})`;
  });
  const more = differences.length > limit ? ` (+${differences.length - limit} more)` : '';
  return `schema differs: ${shown.join('; ')}${more}`;
}

export interface VerifyCatalogOptions {
  /** How source roles appear in the copy. (Default: unchanged) */
  readonly expectRole?: ExpectRole | undefined;
  /**
   * Kinds of object the copy has already reported (as a warning) that it does not carry,
   * e.g. 'large objects': a declared loss, not a silent one, so they are not compared.
   * (Default: none)
   */
  readonly notCopied?: readonly string[] | undefined;
}

/**
 * Compares the source's fingerprint (read on `source`, the snapshot) with the copy's;
 * fails with VERIFY_FAILED naming the first differences.
 */
export async function verifyCatalog(source: pg.ClientBase, copy: pg.ClientBase, options: VerifyCatalogOptions = {}): Promise<void> {
  const [want, got] = await Promise.all([readCatalogFingerprint(source), readCatalogFingerprint(copy)]);
  const skipped = new Set(options.notCopied ?? []);
  const keep = (f: CatalogFingerprint) => ({ ...f, rows: f.rows.filter((row) => !skipped.has(row.kind)) });
  const differences = compareFingerprints(keep(want), keep(got), options.expectRole);
  if (differences.length > 0) throw new DataalmError('VERIFY_FAILED', `verification failed: ${describeDifferences(differences)}`);
}

interface Comparable {
  readonly kind: string;
  readonly identity: string;
  /** Every property as JSON text (undefined when absent): owner, privileges, roles, detail's keys. */
  readonly properties: Record<string, string | undefined>;
}

function index(rows: readonly FingerprintRow[], map: (row: FingerprintRow) => FingerprintRow): Map<string, Comparable> {
  const result = new Map<string, Comparable>();
  for (const raw of rows) {
    const row = map(raw);
    // Default privileges are per role: the (mapped) role is part of their identity.
    const identity = row.kind === 'default privileges' ? `FOR ROLE ${row.owner} ${row.identity}` : row.identity;
    const properties: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(row.detail)) properties[name] = JSON.stringify(value);
    if (row.owner !== null && row.kind !== 'default privileges') properties.owner = JSON.stringify(row.owner);
    if (row.acl !== null && row.acl.length > 0) properties.privileges = JSON.stringify(aclText(row.acl));
    if (row.roles !== null) properties.roles = JSON.stringify([...new Set(row.roles)].sort(compareText)); // a policy names a role once
    let key = `${row.kind}\u0000${identity}`;
    for (let n = 2; result.has(key); n++) key = `${row.kind}\u0000${identity}\u0000${n}`;
    result.set(key, { kind: row.kind, identity, properties });
  }
  return result;
}

/**
 * A row as both majors would print it, when source and copy run different majors: what
 * differs only in how a server version shows the same thing.
 * - Definitions are deparsed differently by each major (PostgreSQL 16 no longer qualifies a
 *   view's columns; new catalog columns appear): across majors each object is compared by
 *   its presence, owner, privileges, roles and comment; its definition is what pg_restore
 *   of the source's pg_dump made of it on the target's major.
 * - PostgreSQL 14 prints a procedure's arguments with their mode (IN keep integer).
 * - PostgreSQL 17 added the MAINTAIN privilege, which an owner (and pg_dump's grants of
 *   ALL) gets on a newer server.
 */
function sameAcrossMajors(sourceVersion: number, copyVersion: number): (row: FingerprintRow) => FingerprintRow {
  const major = (v: number) => Math.floor(v / 10000);
  if (major(sourceVersion) === major(copyVersion)) return (row) => row;
  const maintain = major(sourceVersion) < 17 || major(copyVersion) < 17;
  const withoutModes = (text: string) => text.replace(/(^|\(|, )IN /g, '$1');
  return (row) => {
    let next: FingerprintRow = { ...row, detail: row.detail.comment === undefined ? {} : { comment: row.detail.comment } };
    if (row.kind === 'procedure') next = { ...next, identity: withoutModes(row.identity) };
    if (maintain && next.acl) next = { ...next, acl: next.acl.filter(([, , privilege]) => privilege !== 'MAINTAIN') };
    return next;
  };
}

/** A source row with its roles as the copy should have them. */
function expectedRoles(row: FingerprintRow, expectRole: ExpectRole, copyUser: string): FingerprintRow {
  const expect = (role: string) => (role === '' || role.startsWith('pg_') ? role : expectRole(role));
  const asOwner = (role: string) => expect(role) ?? copyUser;
  const acl = row.acl?.flatMap(([grantee, grantor, privilege, grantable]) => {
    const to = expect(grantee) ?? (grantee === row.owner ? copyUser : undefined);
    // A grant made by a replaced role other than the owner is not copied (it was made under
    // that role's authority); the owner's grants are the connecting user's.
    const by = expect(grantor) ?? (grantor === row.owner ? copyUser : undefined);
    return to === undefined || by === undefined ? [] : [[to, by, privilege, grantable] as const];
  });
  // A policy left with none of its roles applies to the connecting user (the rewrite's TO list).
  const roles = row.roles?.flatMap((role) => expect(role) ?? []) ?? null;
  return {
    ...row,
    owner: row.owner === null ? null : asOwner(row.owner),
    acl: acl ?? null,
    roles: roles !== null && roles.length === 0 && row.roles!.length > 0 ? [copyUser] : roles,
  };
}

/** Items grouped as "grantee=PRIVILEGE,PRIVILEGE*\/grantor" (* grantable; PUBLIC for ''), sorted. */
function aclText(items: NonNullable<FingerprintRow['acl']>): string[] {
  const grouped = new Map<string, { grantee: string; grantor: string; privileges: Set<string> }>();
  for (const [grantee, grantor, privilege, grantable] of items) {
    const key = JSON.stringify([grantee, grantor]);
    const entry = grouped.get(key) ?? { grantee: grantee === '' ? 'PUBLIC' : grantee, grantor, privileges: new Set<string>() };
    entry.privileges.add(`${privilege}${grantable ? '*' : ''}`);
    grouped.set(key, entry);
  }
  return [...grouped.values()].map((e) => `${e.grantee}=${[...e.privileges].sort().join(',')}/${e.grantor}`).sort(compareText);
}

function brief(json: string | undefined): string {
  if (json === undefined) return 'none';
  return json.length > 80 ? `${json.slice(0, 77)}…` : json;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The database's schema as one digest: its catalog fingerprint (every object of the user's,
 * with owner, privileges and definition). DDL is not replicated, so a mirror is only as good
 * as its source's digest is unchanged.
 */
export async function schemaFingerprint(client: pg.ClientBase): Promise<string> {
  const fingerprint = await readCatalogFingerprint(client);
  return createHash('sha256').update(JSON.stringify(fingerprint.rows)).digest('hex');
}
