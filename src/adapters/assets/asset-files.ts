import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { type AssetManifest, type SharedAsset, assetManifestSchema } from '../../domain/asset.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';

/** The shared assets that ship with dataalm: one folder each, with an asset.yaml. */
export const SHARED_ASSETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'assets', 'shared');

/** Largest package dataalm imports: scripts and files together. */
export const MAX_ASSET_BYTES = 64 * 1024 * 1024;

/**
 * Reads a manifest file (YAML or JSON). Scripts may be inline (`sql:`) or a file beside the
 * manifest (`file:`); document-storage files are read from `from:`. The result has
 * everything inline, validated, so the library needs nothing from the disk afterwards.
 */
export function readManifestFile(file: string, options: { readReferences?: boolean } = {}): AssetManifest {
  const resolved = path.resolve(file);
  const text = readText(resolved, 'FILE');
  let data: unknown;
  try {
    data = resolved.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true });
  } catch (cause) {
    const reason = ((cause as Error).message ?? String(cause)).split('\n')[0];
    throw new DataalmError('INVALID_INPUT', `${resolved}: not valid ${resolved.endsWith('.json') ? 'JSON' : 'YAML'}: ${reason}`, { field: 'file', cause });
  }
  const base = path.dirname(resolved);
  return parseManifest(inlineReferences(data, base, options.readReferences ?? true), resolved);
}

/** Validates a manifest with everything inline (as the HTTP API receives it). */
export function parseManifest(data: unknown, origin: string): AssetManifest {
  const parsed = assetManifestSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)), '');
    const extra = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
    throw new DataalmError('INVALID_INPUT', `${origin}: ${where || '(top level)'}: ${issue.message}${extra}`, { field: 'manifest' });
  }
  const bytes = manifestBytes(parsed.data);
  if (bytes > MAX_ASSET_BYTES) {
    throw new DataalmError('INVALID_INPUT', `${origin}: the package holds ${bytes} bytes; at most ${MAX_ASSET_BYTES} are imported`, { field: 'manifest' });
  }
  return parsed.data;
}

function manifestBytes(manifest: AssetManifest): number {
  const scripts = Object.values(manifest.scripts).flatMap((list) => list ?? []);
  return scripts.reduce((n, s) => n + Buffer.byteLength(s.sql), 0) + manifest.files.reduce((n, f) => n + Math.floor((f.content.length * 3) / 4), 0);
}

/** `file:` and `from:` references → inline `sql:` and base64 `content:`, relative to the manifest. */
function inlineReferences(data: unknown, base: string, read: boolean): unknown {
  if (typeof data !== 'object' || data === null) return data;
  const manifest = { ...(data as Record<string, unknown>) };
  const scripts = manifest.scripts;
  if (typeof scripts === 'object' && scripts !== null) {
    manifest.scripts = Object.fromEntries(
      Object.entries(scripts as Record<string, unknown>).map(([role, list]) => [
        role,
        Array.isArray(list)
          ? list.map((item: unknown) => {
              if (typeof item !== 'object' || item === null || !('file' in item)) return item;
              const { file, ...rest } = item as { file: unknown; name?: unknown };
              const where = inside(base, String(file), `scripts.${role}`);
              return { name: rest.name ?? path.basename(where), ...rest, sql: read ? readText(where, `scripts.${role}`) : `-- ${path.basename(where)}` };
            })
          : list,
      ]),
    );
  }
  if (Array.isArray(manifest.files)) {
    manifest.files = manifest.files.map((item: unknown) => {
      if (typeof item !== 'object' || item === null || !('from' in item)) return item;
      const { from, ...rest } = item as { from: unknown; path?: unknown };
      const where = inside(base, String(from), 'files');
      if (!read) return { path: rest.path ?? path.basename(where), ...rest, content: '' };
      let content: Buffer;
      try {
        // Told before it is read whole: a file too large for a package.
        const size = fs.statSync(where).size;
        if (size > MAX_ASSET_BYTES) throw new Error(`${size} bytes, more than the ${MAX_ASSET_BYTES} a package may hold`);
        content = fs.readFileSync(where);
      } catch (cause) {
        throw new DataalmError('INVALID_INPUT', `files: ${where} cannot be read (${(cause as Error).message})`, { field: 'file', cause });
      }
      return { path: rest.path ?? path.basename(where), ...rest, content: content.toString('base64') };
    });
  }
  return manifest;
}

/** A path named by a manifest stays inside the manifest's folder. */
function inside(base: string, relative: string, field: string): string {
  const where = path.resolve(base, relative);
  if (where !== base && !where.startsWith(base + path.sep)) {
    throw new DataalmError('INVALID_INPUT', `${field}: ${relative} is outside the manifest's folder`, { field: 'file' });
  }
  return where;
}

function readText(file: string, field: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new DataalmError('INVALID_INPUT', `${field}: ${file} cannot be read (${(cause as Error).message})`, { field: 'file', cause });
  }
}

const summaries = new Map<string, { mtimeMs: number; summary: SharedAsset }>();

/**
 * The shared assets, by folder name, as they ship: read from their manifests only (their
 * scripts and installers are read when one is imported), and kept while the file is unchanged.
 */
export function listSharedAssets(): SharedAsset[] {
  if (!fs.existsSync(SHARED_ASSETS_DIR)) return [];
  return fs
    .readdirSync(SHARED_ASSETS_DIR)
    .filter((name) => fs.existsSync(path.join(SHARED_ASSETS_DIR, name, 'asset.yaml')))
    .sort()
    .map((shared) => {
      const file = path.join(SHARED_ASSETS_DIR, shared, 'asset.yaml');
      const mtimeMs = fs.statSync(file).mtimeMs;
      const known = summaries.get(shared);
      if (known?.mtimeMs === mtimeMs) return known.summary;
      const manifest = readManifestFile(file, { readReferences: false });
      const summary: SharedAsset = {
        shared,
        name: manifest.name,
        kind: manifest.kind,
        version: manifest.version,
        description: manifest.description ?? null,
        appliesTo: manifest.appliesTo,
        sets: manifest.sets,
      };
      summaries.set(shared, { mtimeMs, summary });
      return summary;
    });
}

export function readSharedAsset(shared: string): AssetManifest {
  const names = fs.existsSync(SHARED_ASSETS_DIR) ? fs.readdirSync(SHARED_ASSETS_DIR) : [];
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(shared) || !names.includes(shared)) {
    throw new DataalmError('NOT_FOUND', `shared asset "${shared}" does not exist`, {
      field: 'shared',
      remedy: 'dataalm asset list --shared lists the shared assets',
    });
  }
  return readManifestFile(path.join(SHARED_ASSETS_DIR, shared, 'asset.yaml'));
}
