import crypto from 'node:crypto';
import type { Environment } from '../../domain/environment.js';
import { loadProfile } from '../../adapters/profile/profile-files.js';

/**
 * What an operation was started against: the source's and the target's databases and the
 * target's profile, as one hash. A worker that resumes the operation computes it again and
 * refuses to go on when it differs (an environment registered anew, a profile edited).
 */
export function operationFingerprint(source: Environment | undefined, target: Environment): string {
  const databases = (e: Environment) => e.databases.map((d) => `${d.role}=${d.user}@${d.host}:${d.port}/${d.database}`).sort();
  const profile = crypto.createHash('sha256').update(JSON.stringify(loadProfile(target.profile))).digest('hex');
  const facts = {
    source: source ? { name: source.name, databases: databases(source) } : null,
    target: { name: target.name, databases: databases(target) },
    profile,
  };
  return crypto.createHash('sha256').update(JSON.stringify(facts)).digest('hex');
}
