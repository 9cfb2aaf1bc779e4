import type { DatabaseRole, Environment } from '../../domain/environment.js';
import type { Profile } from '../../domain/profile/profile-schema.js';
import { tableKey } from '../../adapters/postgres/source-relations.js';
import type { ResolvedProfile } from '../../engine/profile-rules.js';

/**
 * What the refresh preview and runbook say that depends on the application: it comes from
 * the profile (its rules, sanitize statements and preview warnings) and from what the
 * environments really have (their databases, document storage), never from one
 * application's habits. The finance-operations profile carries its own lock-down wording.
 */

export interface NotCopied {
  readonly table: string;
  readonly action: string;
  readonly element: string;
  /** A rule on a partitioned table: the partitions ("schema.name") it decides. */
  readonly partitions?: readonly string[];
  /** A clear with cascade: the tables ("schema.name") it clears too, because they reference it. */
  readonly cascaded?: readonly string[];
}

/**
 * One entry per rule of the profile; with the source's catalog read (`resolved`), the
 * partitions a rule on a partitioned table covers and the tables a cascade clears.
 */
export function notCopiedEntries(profile: Profile, resolved: ResolvedProfile | undefined): NotCopied[] {
  return profile.rules.map((rule, index) => {
    const entry = { table: rule.table, action: rule.action, element: rule.reason ?? `${rule.action} ${rule.table}` };
    if (!resolved) return entry;
    const partitions: string[] = [];
    const cascaded = new Set<string>();
    for (const [leaf, decided] of resolved.rules) {
      if (decided.index !== index) continue;
      if (decided.cascadedFrom !== undefined) cascaded.add(decided.via ? tableKey(decided.via.schema, decided.via.name) : leaf);
      else if (decided.via) partitions.push(leaf);
    }
    return {
      ...entry,
      ...(partitions.length > 0 ? { partitions: partitions.sort() } : {}),
      ...(cascaded.size > 0 ? { cascaded: [...cascaded].sort() } : {}),
    };
  });
}

const ROLE_WORDS: Record<DatabaseRole, string> = { application: 'application', financialReporting: 'financial reporting' };

/** "X's application database is replaced", or "X's application and financial reporting databases are replaced". */
export function replacedDatabases(target: Environment): string {
  const roles = (Object.keys(ROLE_WORDS) as DatabaseRole[]).filter((role) => target.databases.some((d) => d.role === role));
  const words = roles.map((role) => ROLE_WORDS[role]);
  const listed = words.length <= 1 ? (words[0] ?? 'application') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
  return `${target.name}'s ${listed} database${words.length > 1 ? 's are' : ' is'} replaced`;
}

/** The profile's own preview warnings, with `{target}` naming the target. */
export function profileWarnings(profile: Profile | undefined, target: Environment): string[] {
  return (profile?.previewWarnings ?? []).map((text) => text.replaceAll('{target}', target.name));
}

/**
 * Whether the profile gives the target's administrator to the application: the account
 * reaches the database only as `$1` of a sanitize statement (the runbook passes it to the
 * statements that use it), so a profile whose statements never use `$1` resets no one, and
 * nothing should say that someone became its administrator. Read from the statements, not
 * from a flag, so it cannot disagree with what runs.
 */
export function resetsAdministrator(profile: Pick<Profile, 'sanitize'>): boolean {
  return profile.sanitize.some((statement) => usesAdministrator(statement.sql));
}

export const usesAdministrator = (sql: string): boolean => /\$1\b/.test(sql);
