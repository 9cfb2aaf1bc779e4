import type { Config } from '../config/config.js';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import type { MissingRolePolicy, Profile } from '../domain/profile/profile-schema.js';
import { parseConnectionUrl } from '../adapters/postgres/connection-url.js';
import { pgServers } from '../adapters/postgres/database-servers.js';
import { loadProfile } from '../adapters/profile/profile-files.js';
import { SecretBox } from '../adapters/secrets/secret-box.js';
import { copyDatabase } from '../engine/copy-database.js';
import type { CopyEvent, CopyResult } from '../engine/copy-events.js';

export type { CopyEvent, CopyResult } from '../engine/copy-events.js';
export { loadProfile, loadProfileFile, profileYaml } from '../adapters/profile/profile-files.js';

export interface CopyRequest {
  readonly from: string;
  readonly to: string;
  readonly keepFrom: string | undefined;
  /** A built-in profile's name or a profile file. */
  readonly profile: string;
  readonly jobs: number;
  readonly verify: 'counts' | 'checksums';
  readonly splitBytes: number | undefined;
  /** Source role → target role, on top of the profile's roles. (Default: none) */
  readonly roles?: Readonly<Record<string, string>>;
  /** Overrides the profile's missingRoles. (Default: the profile's) */
  readonly missingRoles?: MissingRolePolicy | undefined;
  /** Where the schema archive is written; the caller removes it. */
  readonly workDir: string;
  readonly onEvent: (event: CopyEvent) => void;
}

/** `dataalm copy`: a live database into a new one, from one snapshot, with the profile applied. */
export async function copyLiveDatabase(config: Config, request: CopyRequest): Promise<CopyResult> {
  const loaded: Profile = loadProfile(request.profile);
  const profile: Profile = { ...loaded, roles: { ...loaded.roles, ...request.roles }, missingRoles: request.missingRoles ?? loaded.missingRoles };
  return copyDatabase({
    sourceUrl: request.from,
    targetUrl: request.to,
    keepFromUrl: request.keepFrom,
    profile,
    maskKey: SecretBox.load(config.secretKey, config.home).derive('masks'),
    jobs: request.jobs,
    verify: request.verify,
    splitBytes: request.splitBytes,
    workDir: request.workDir,
    pgBin: config.pgBin,
    onEvent: request.onEvent,
  });
}

/** Removes the half-made copy at `url` (an interrupted `dataalm copy`). */
export async function dropCopy(url: string): Promise<void> {
  const target = parseConnectionUrl(url, 'to');
  try {
    await pgServers.onServer(url, 'to', (server) => server.drop(target.database));
  } catch (error) {
    throw new DataalmError('COPY_FAILED', `could not remove ${target.database}: ${(error as Error).message}`, { cause: error });
  }
}
