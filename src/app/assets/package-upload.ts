import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Actor } from '../../domain/actor.js';
import type { Asset } from '../../domain/asset.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import type { Runtime } from '../runtime.js';
import { importAsset } from './asset-service.js';
import { readManifestFile } from './manifests.js';

/** A package as a browser uploads it: the manifest file, and the files it names beside it (base64). */
export interface PackageUpload {
  /** The manifest's file name: `.json` is read as JSON, anything else as YAML (as `dataalm asset import FILE`). */
  readonly name: string;
  readonly text: string;
  readonly files: Readonly<Record<string, string>>;
}

/** A plain file name, as a browser gives it: no folder, nothing hidden. */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._ -]{0,200}$/;

function fileName(name: string, field: string): string {
  if (!FILE_NAME.test(name) || name.includes('..')) throw new DataalmError('INVALID_INPUT', `${field}: "${name}" is not a plain file name`, { field });
  return name;
}

/**
 * Imports an uploaded package exactly as `dataalm asset import FILE` imports one from the disk:
 * the files are laid out in a private folder as they were beside the manifest, read by the
 * same reader (references resolved and kept inside the folder, sizes checked), and the folder
 * is removed whatever happens.
 */
export async function importUploadedPackage(runtime: Runtime, upload: PackageUpload, actor: Actor): Promise<Asset> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-upload-'));
  try {
    const manifest = path.join(folder, fileName(upload.name, 'upload.name'));
    for (const [name, content] of Object.entries(upload.files)) {
      fs.writeFileSync(path.join(folder, fileName(name, 'upload.files')), Buffer.from(content, 'base64'));
    }
    fs.writeFileSync(manifest, upload.text);
    let read;
    try {
      read = readManifestFile(manifest);
    } catch (error) {
      // The folder is this server's: a person knows the file by the name they uploaded.
      if (error instanceof DataalmError) throw new DataalmError(error.code, error.message.split(`${folder}${path.sep}`).join(''), { field: error.field ?? 'upload', cause: error });
      throw error;
    }
    return await importAsset(runtime, read, actor);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
