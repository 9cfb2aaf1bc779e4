import fs from 'node:fs';
import path from 'node:path';
import { DataalmError } from '../../domain/errors/dataalm-error.js';

/** How long a process waits for another one to finish initialising or starting the server. */
const LOCK_TIMEOUT_MS = 120_000;

/**
 * Serialises the steps that set up, start and stop the embedded server between dataalm
 * processes sharing one DATAALM_HOME. The lock file holds the owner's pid; a lock left by
 * a process that died is taken over.
 */
export async function withHomeLock<T>(home: string, work: () => Promise<T>): Promise<T> {
  const file = path.join(home, '.lock');
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(file, { encoding: 'utf8', flag: 'a+' }).trim());
      // An empty file is one being written right now, unless it has been empty for a while.
      const stale = holder > 0 ? !isAlive(holder) : Date.now() - fs.statSync(file).mtimeMs > 5000;
      if (stale) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new DataalmError('EMBEDDED_SERVER_FAILED', `another dataalm process (pid ${holder}) holds ${file}`, {
          remedy: 'wait for it to finish, or stop it',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
