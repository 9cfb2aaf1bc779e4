import type pg from 'pg';
import type { RoleMapper } from '../adapters/postgres/database-properties.js';
import { connectCopySession } from './copy-session.js';
import { openSnapshotClient } from './copy-workers.js';
import { quoteIdent, quoteLiteral } from './mask-sql.js';


export interface LargeObjectOptions {
  readonly sourceUrl: string;
  readonly targetUrl: string;
  readonly snapshot: string;
  readonly jobs: number;
  readonly mapRole: RoleMapper;
  /** Called as data is written, for progress. */
  readonly onBytes?: (bytes: number) => void;
}

export interface LargeObjectResult {
  readonly objects: number;
  readonly bytes: number;
  /** Source roles whose grants on large objects were not copied (their mapRole was undefined). */
  readonly skippedGrantees: readonly string[];
}

/** Read and written this much at a time: a huge object never sits in memory whole. */
const CHUNK_BYTES = 1024 * 1024;
/** Objects per batch; a batch is one transaction on the target. */
const BATCH = 500;

interface LargeObject {
  readonly oid: string;
  readonly owner: string;
  readonly comment: string | null;
  /** aclexplode(lomacl); null when lomacl is null (the owner's default rights). */
  readonly acl: readonly { grantee: string | null; privilege: string; grantable: boolean }[] | null;
}

const BATCH_SQL = `
  select l.oid::text as oid, pg_get_userbyid(l.lomowner) as owner,
         obj_description(l.oid, 'pg_largeobject') as comment,
         case when l.lomacl is null then null else
           (select coalesce(json_agg(json_build_object(
                     'grantee', case when a.grantee = 0 then null else pg_get_userbyid(a.grantee) end,
                     'privilege', a.privilege_type, 'grantable', a.is_grantable)), '[]')
              from aclexplode(l.lomacl) a) end as acl
    from pg_largeobject_metadata l
   where l.oid > $1::oid
   order by l.oid
   limit ${BATCH}`;

/**
 * The source roles that own large objects or hold grants on them, for the missing-role
 * preflight (read in the source snapshot): each must exist on the target, after profile.roles.
 */
export async function largeObjectRoles(source: pg.ClientBase): Promise<string[]> {
  const rows = await source.query<{ role: string }>(
    `select pg_get_userbyid(lomowner) as role from pg_largeobject_metadata
      union
     select pg_get_userbyid(a.grantee) from pg_largeobject_metadata l, aclexplode(l.lomacl) a where a.grantee <> 0
      order by 1`,
  );
  return rows.rows.map((r) => r.role);
}

/**
 * Large objects live outside tables, and tables refer to them by OID: each is made in the
 * copy with its source OID, its data (read inside the source snapshot, in chunks), owner,
 * comment and grants. Workers take batches of objects in OID order, as pg_dump's blobs.
 */
export async function copyLargeObjects(options: LargeObjectOptions): Promise<LargeObjectResult> {
  const lister = await openSnapshotClient(options.sourceUrl, options.snapshot);
  let last = '0';
  let finished = false;
  let listing: Promise<LargeObject[]> = Promise.resolve([]);
  // Batches are read one after the other on one session, whichever worker asks.
  const nextBatch = (): Promise<LargeObject[]> => {
    listing = listing.then(async () => {
      if (finished) return [];
      const rows = (await lister.query<LargeObject>(BATCH_SQL, [last])).rows;
      if (rows.length < BATCH) finished = true;
      if (rows.length > 0) last = rows.at(-1)!.oid;
      return rows;
    });
    return listing;
  };
  const skipped = new Set<string>();
  let objects = 0;
  let bytes = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    let source: pg.Client | undefined;
    let target: pg.Client | undefined;
    try {
      // Opened inside the try: a worker that cannot connect fails the copy once the others stop.
      source = await openSnapshotClient(options.sourceUrl, options.snapshot);
      target = await connectCopySession(options.targetUrl, 'large objects');
      await target.query('SET synchronous_commit = off');
      const me = (await target.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
      for (let batch = await nextBatch(); batch.length > 0 && failure === undefined; batch = await nextBatch()) {
        await target.query('BEGIN');
        for (const object of batch) {
          bytes += await copyOne(source, target, object, me, options, skipped);
          objects += 1;
        }
        await target.query('COMMIT');
      }
    } catch (error) {
      failure ??= error;
    } finally {
      await Promise.all([source?.end().catch(() => {}), target?.end().catch(() => {})]);
    }
  };
  try {
    const count = Number((await lister.query<{ n: string }>('SELECT count(*) AS n FROM pg_largeobject_metadata')).rows[0]!.n);
    if (count > 0) await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, Math.ceil(count / BATCH))) }, worker));
  } finally {
    await lister.end().catch(() => {});
  }
  if (failure !== undefined) throw failure;
  return { objects, bytes, skippedGrantees: [...skipped].sort() };
}

async function copyOne(
  source: pg.ClientBase,
  target: pg.ClientBase,
  object: LargeObject,
  me: string,
  options: LargeObjectOptions,
  skipped: Set<string>,
): Promise<number> {
  const where = `copying large object ${object.oid}`;
  try {
    await target.query('SELECT pg_catalog.lo_create($1::oid)', [object.oid]);
    let offset = 0;
    for (;;) {
      const chunk = (
        await source.query<{ data: Buffer }>('SELECT pg_catalog.lo_get($1::oid, $2::int8, $3::int4) AS data', [object.oid, offset, CHUNK_BYTES])
      ).rows[0]!.data;
      if (chunk.length > 0) {
        await target.query('SELECT pg_catalog.lo_put($1::oid, $2::int8, $3::bytea)', [object.oid, offset, chunk]);
        options.onBytes?.(chunk.length);
      }
      offset += chunk.length;
      if (chunk.length < CHUNK_BYTES) break;
    }
    const name = `LARGE OBJECT ${object.oid}`;
    const owner = options.mapRole(object.owner);
    if (owner !== undefined && owner !== me) await target.query(`ALTER ${name} OWNER TO ${quoteIdent(owner)}`);
    if (object.comment !== null) await target.query(`COMMENT ON ${name} IS ${quoteLiteral(object.comment)}`);
    if (object.acl !== null) {
      // An explicit ACL replaces the owner's implicit rights: start from none, as pg_dump does.
      const ownerNow = owner ?? me;
      await target.query(`REVOKE ALL ON ${name} FROM ${quoteIdent(ownerNow)}`);
      for (const item of object.acl) {
        const grantee = item.grantee === null ? 'PUBLIC' : item.grantee === object.owner ? ownerNow : options.mapRole(item.grantee);
        if (grantee === undefined) {
          skipped.add(item.grantee!);
          continue;
        }
        const to = item.grantee === null ? 'PUBLIC' : quoteIdent(grantee);
        await target.query(`GRANT ${item.privilege} ON ${name} TO ${to}${item.grantable ? ' WITH GRANT OPTION' : ''}`);
      }
    }
    return offset;
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
  }
}
