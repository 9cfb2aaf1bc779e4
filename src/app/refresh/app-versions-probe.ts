import { readSchemaVersion, readServerVersions } from '../../adapters/postgres/server-versions.js';
import type { ConnectionTarget } from '../../adapters/postgres/connection-url.js';
import type { DatabaseRole } from '../../domain/environment.js';
import type { SchemaVersionProbe, ServerVersions } from '../../domain/preflight/app-versions.js';
import type { Profile } from '../../domain/profile/profile-schema.js';
import type { Queryable } from '../../ports/database-server.js';

/**
 * What a refresh's preflight asks of one pair of databases for any application: the servers'
 * majors and extension versions, and (on the application databases) the profile's
 * schemaVersion query on both sides. A side that did not answer is a string (its reason,
 * reported as UNREACHABLE): nothing is asked of it.
 */
export async function probeAppVersions(
  role: DatabaseRole,
  from: Queryable | string,
  to: Queryable | string,
  profile: Profile | undefined,
  target: ConnectionTarget,
): Promise<{ servers?: ServerVersions; schemaVersion?: SchemaVersionProbe }> {
  const found: { servers?: ServerVersions; schemaVersion?: SchemaVersionProbe } = {};
  if (typeof from !== 'string' && typeof to !== 'string') {
    // Catalog reads: should they fail, the copy engine still refuses a downgrade before it creates anything.
    const servers = await readServerVersions(from, to, `${target.host}:${target.port}`).catch(() => undefined);
    if (servers) found.servers = servers;
  }
  const query = profile?.schemaVersion?.query;
  if (role === 'application' && query !== undefined) {
    const read = async (side: Queryable | string): Promise<{ value?: string | null; error?: string }> => {
      if (typeof side === 'string') return {};
      try {
        return { value: await readSchemaVersion(side, query) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    const [source, targetSide] = [await read(from), await read(to)];
    found.schemaVersion = { source: source.value, target: targetSide.value, sourceError: source.error, targetError: targetSide.error };
  }
  return found;
}
