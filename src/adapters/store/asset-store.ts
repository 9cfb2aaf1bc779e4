import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Actor } from '../../domain/actor.js';
import type { Asset, AssetKind, AssetManifest } from '../../domain/asset.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { inTransaction } from './environment-store.js';

interface AssetRow {
  id: string;
  name: string;
  kind: AssetKind;
  version: string;
  manifest: AssetManifest;
  shared: string | null;
  imported_by: string;
  imported_at: Date;
  files: { path: string; bytes: number; sha256: string }[] | null;
}

const SELECT_ASSETS = `
  select a.id, a.name, a.kind, a.version, a.shared, a.imported_by, a.imported_at,
         a.manifest,
         (select json_agg(json_build_object('path', f.path, 'bytes', octet_length(f.content), 'sha256', f.sha256) order by f.path)
            from dataalm.asset_files f where f.asset_id = a.id) as files
    from dataalm.assets a`;

/** The asset library in the control database: manifests with their scripts, and their files. */
export class AssetStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Adds a package to the library (the files apart from the manifest) and audits it. */
  async add(manifest: AssetManifest, shared: string | null, actor: Actor): Promise<Asset> {
    const { files, ...rest } = manifest;
    const digest = createHash('sha256').update(JSON.stringify(manifest)).digest('hex');
    const id = await inTransaction(this.#pool, async (client) => {
      // The same package imported again is the package already there.
      await client.query('lock table dataalm.assets in share row exclusive mode');
      const same = await client.query<{ id: string }>('select id from dataalm.assets where digest = $1 order by id limit 1', [digest]);
      if (same.rows[0]) return Number(same.rows[0].id);
      const inserted = await client.query<{ id: string }>(
        `insert into dataalm.assets (name, kind, version, manifest, shared, digest, imported_by)
         values ($1, $2, $3, $4, $5, $6, $7) returning id`,
        [manifest.name, manifest.kind, manifest.version, rest, shared, digest, actor.name],
      );
      const assetId = inserted.rows[0]!.id;
      for (const file of files) {
        const content = Buffer.from(file.content, 'base64');
        await client.query('insert into dataalm.asset_files (asset_id, path, content, sha256) values ($1, $2, $3, $4)', [
          assetId,
          file.path,
          content,
          createHash('sha256').update(content).digest('hex'),
        ]);
      }
      await client.query(`insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, 'asset.import', $3, $4)`, [
        actor.name,
        actor.origin,
        `asset ${assetId}`,
        { name: manifest.name, kind: manifest.kind, version: manifest.version, shared },
      ]);
      return Number(assetId);
    });
    return this.get(id);
  }

  async list(): Promise<Asset[]> {
    const result = await this.#pool.query<AssetRow>(`${SELECT_ASSETS} order by a.id`);
    return result.rows.map(toAsset);
  }

  async find(id: number): Promise<Asset | undefined> {
    const result = await this.#pool.query<AssetRow>(`${SELECT_ASSETS} where a.id = $1`, [id]);
    return result.rows[0] ? toAsset(result.rows[0]) : undefined;
  }

  async get(id: number): Promise<Asset> {
    const found = await this.find(id);
    if (!found) {
      throw new DataalmError('NOT_FOUND', `package ${id} is not in the asset library`, {
        field: 'package',
        remedy: 'dataalm asset list shows the library; dataalm asset import adds to it',
      });
    }
    return found;
  }

  /** A package's manifest as imported, with its scripts' SQL (not the files' bytes). */
  async manifest(id: number): Promise<Omit<AssetManifest, 'files'>> {
    await this.get(id);
    const result = await this.#pool.query<{ manifest: Omit<AssetManifest, 'files'> }>('select manifest from dataalm.assets where id = $1', [id]);
    return result.rows[0]!.manifest;
  }

  /** The scripts of a package, per database role, in order. */
  async scripts(id: number): Promise<Partial<Record<string, { name: string; sql: string }[]>>> {
    const result = await this.#pool.query<{ scripts: AssetManifest['scripts'] }>(`select manifest->'scripts' as scripts from dataalm.assets where id = $1`, [id]);
    return result.rows[0]?.scripts ?? {};
  }

  /** The files a package puts in document storage. */
  async files(id: number): Promise<{ path: string; content: Buffer; sha256: string }[]> {
    const result = await this.#pool.query<{ path: string; content: Buffer; sha256: string }>(
      'select path, content, sha256 from dataalm.asset_files where asset_id = $1 order by path',
      [id],
    );
    return result.rows;
  }
}

function toAsset(row: AssetRow): Asset {
  const manifest = row.manifest;
  return {
    id: Number(row.id),
    name: row.name,
    kind: row.kind,
    version: row.version,
    description: manifest.description ?? null,
    appliesTo: manifest.appliesTo,
    sets: manifest.sets,
    scripts: Object.fromEntries(Object.entries(manifest.scripts ?? {}).map(([role, list]) => [role, (list ?? []).map((s) => s.name)])),
    files: row.files ?? [],
    shared: row.shared,
    importedBy: row.imported_by,
    importedAt: row.imported_at.toISOString(),
  };
}
