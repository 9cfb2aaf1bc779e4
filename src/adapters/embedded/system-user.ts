import { spawnSync } from 'node:child_process';
import { DataalmError } from '../../domain/errors/dataalm-error.js';

/** The OS account that runs the embedded server. PostgreSQL refuses to run as root. */
export interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function currentUser(): SystemUser {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return { name: String(uid), uid, gid };
}

export function lookupSystemUser(name: string): SystemUser | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * The user the embedded server runs as when dataalm runs as root. The default account
 * (`postgres`) is created when it is missing, as a system account without a home or shell,
 * so that `npm start` works on a fresh machine; an account named in DATAALM_PG_USER must
 * already exist, since creating arbitrary accounts is not ours to decide.
 */
export function resolveServerUser(configured: string | undefined): SystemUser {
  const name = configured ?? 'postgres';
  const found = lookupSystemUser(name);
  if (found) return found;
  if (configured !== undefined) {
    throw new DataalmError(
      'EMBEDDED_SERVER_FAILED',
      `system user "${name}" (DATAALM_PG_USER) does not exist; PostgreSQL cannot run as root`,
      { field: 'DATAALM_PG_USER', remedy: `create it with "useradd --system ${name}", or unset DATAALM_PG_USER` },
    );
  }
  const created = spawnSync(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name],
    { encoding: 'utf8' },
  );
  const user = lookupSystemUser(name);
  if (created.status !== 0 || !user) {
    const reason = (created.stderr || created.error?.message || 'unknown error').trim();
    throw new DataalmError(
      'EMBEDDED_SERVER_FAILED',
      `system user "postgres" is missing and could not be created: ${reason}`,
      { remedy: 'create a system user for PostgreSQL and name it in DATAALM_PG_USER' },
    );
  }
  return user;
}

/** Whether `user` may access `target` with the given `test` flags (e.g. `-x`, `-w`). */
export function userCan(user: SystemUser, flags: string[], target: string): boolean {
  if (!isRoot()) return true;
  const expression = flags.flatMap((flag, i) => (i === 0 ? [flag, target] : ['-a', flag, target]));
  const result = spawnSync('test', expression, { uid: user.uid, gid: user.gid, cwd: '/' });
  return result.status === 0;
}
