import type { RefusalReason } from '../operation.js';
import { sample } from './copy-needs.js';

/**
 * What must match between a refresh's source and target for any application, beyond the
 * seed's release rules: the application's own schema version (the profile's schemaVersion
 * query), the PostgreSQL majors, and the versions of the source's extensions on the target
 * server. app/refresh reads these facts; this module judges them. Pure.
 */

/** The profile's schemaVersion query, as each side answered it. */
export interface SchemaVersionProbe {
  /** The value (its text), null when the query gave no row or a null; undefined when it failed. */
  readonly source?: string | null | undefined;
  readonly target?: string | null | undefined;
  /** Why the query failed on a side, for a person (no secret). */
  readonly sourceError?: string | undefined;
  readonly targetError?: string | undefined;
}

/** The servers of one pair of databases: their majors, and what the target has of the source's extensions. */
export interface ServerVersions {
  readonly sourceMajor: number;
  readonly targetMajor: number;
  /** Each extension of the source database with its version, and the versions the target server can install (none: not there at all). */
  readonly extensions: readonly { readonly name: string; readonly version: string; readonly targetVersions: readonly string[] }[];
  /** Where the target is, for messages ("host:port", never a password). */
  readonly targetName: string;
}

/**
 * A target server older than the source: PostgreSQL does not support moving a database to an
 * older major. The copy engine refuses it with the same reason when it picks its tools.
 */
export function majorDowngradeReason(majors: { readonly source: number; readonly target: number }): RefusalReason | undefined {
  if (majors.target >= majors.source) return undefined;
  return {
    code: 'COPY_UNSUPPORTED',
    message: `the source runs PostgreSQL ${majors.source} and the target PostgreSQL ${majors.target}: PostgreSQL does not support moving a database to an older major version`,
    remedy: `copy to a server running PostgreSQL ${majors.source} or newer`,
  };
}

/**
 * The majors, and every extension of the source whose version the target server cannot
 * install. An extension the target lacks altogether is copy-needs' reason (COPY_UNSUPPORTED,
 * "not installed"), not said twice here.
 */
export function serverVersionRefusals(facts: ServerVersions): RefusalReason[] {
  const reasons: RefusalReason[] = [];
  const downgrade = majorDowngradeReason({ source: facts.sourceMajor, target: facts.targetMajor });
  if (downgrade) reasons.push({ ...downgrade, remedy: `run the target's databases on PostgreSQL ${facts.sourceMajor} or newer (or refresh from a source on PostgreSQL ${facts.targetMajor} or older)` });
  const otherVersions = facts.extensions.filter((e) => e.targetVersions.length > 0 && !e.targetVersions.includes(e.version));
  if (otherVersions.length > 0) {
    reasons.push({
      code: 'COPY_UNSUPPORTED',
      message: `extension(s) of the source are available on the target server ${facts.targetName} only in other versions: ${sample(
        otherVersions.map((e) => `${e.name} ${e.version} (the target has ${sample(e.targetVersions, 8)})`),
      )}`,
      remedy: "install the extensions' packages of the source's versions (or newer ones that can update from them) on the target server, then refresh",
    });
  }
  return reasons;
}

/** The source's and target's schema versions must be read and equal. */
export function schemaVersionRefusals(
  probe: SchemaVersionProbe,
  names: { readonly source: string; readonly target: string; readonly profile: string },
): RefusalReason[] {
  const reasons: RefusalReason[] = [];
  for (const [name, error] of [[names.source, probe.sourceError], [names.target, probe.targetError]] as const) {
    if (error === undefined) continue;
    reasons.push({
      code: 'SCHEMA_VERSION_UNKNOWN',
      message: `the application schema version of ${name} could not be read: ${error}`,
      remedy: `check the schemaVersion query of profile ${names.profile} against ${name}'s application database`,
    });
  }
  if (reasons.length > 0 || probe.source === undefined || probe.target === undefined) return reasons;
  if (probe.source !== probe.target) {
    const shown = (value: string | null) => (value === null ? 'no schema version' : `schema version ${value}`);
    reasons.push({
      code: 'SCHEMA_VERSION_MISMATCH',
      message: `application schema versions differ: ${names.source} has ${shown(probe.source)}, ${names.target} has ${shown(probe.target)}; a refresh copies the source's schema and data and never migrates them`,
      remedy: `bring ${names.target} and ${names.source} to the same schema version (run the application's migrations on the older one), then refresh`,
    });
  }
  return reasons;
}
