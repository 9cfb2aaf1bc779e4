import { randomBytes } from 'node:crypto';
import { derivedName } from '../../adapters/postgres/database-admin.js';
import { MIRROR_OBJECT_PREFIX } from '../../domain/mirror.js';

/** The objects of one mirror: publication and slot on the source, subscription and database on the target's server. */
export interface MirrorNames {
  readonly publication: string;
  readonly slot: string;
  readonly subscription: string;
  readonly database: string;
}

/**
 * New names for a mirror of `targetDatabase`. The replication objects carry a random part:
 * two projects (or two mirrors) replicating from one source never take each other's slot.
 * Slot names allow lower-case letters, digits and underscores only.
 */
export function newMirrorNames(targetDatabase: string): MirrorNames {
  const tag = `${MIRROR_OBJECT_PREFIX}${randomBytes(5).toString('hex')}`;
  return { publication: tag, slot: tag, subscription: tag, database: derivedName(targetDatabase, '__mirror') };
}
