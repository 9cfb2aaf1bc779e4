/**
 * Terminology
 * - Access policy: the users (and groups) of a sandbox's application that a refresh
 *   re-enables once its verification has passed. Without one, everyone but Admin and the
 *   service accounts stays disabled after a refresh, as the seed says.
 */
import { DataalmError } from './errors/dataalm-error.js';

export interface AccessPolicy {
  /** Application user ids, e.g. `u000042`. */
  readonly users: readonly string[];
  /** Application user groups; their members are enabled. */
  readonly groups: readonly string[];
  /** Who set it last and when; null for an environment that never had one. */
  readonly updatedBy: string | null;
  readonly updatedAt: string | null;
}

export const EMPTY_ACCESS_POLICY: AccessPolicy = { users: [], groups: [], updatedBy: null, updatedAt: null };

/** Enough for any team's sandbox; a longer list is almost certainly a mistake (or everyone). */
export const MAX_ACCESS_NAMES = 1000;

/**
 * Names as typed (a list, or one comma-separated string from the CLI): trimmed, empty ones
 * dropped, duplicates removed, order kept. A name longer than 255 characters, or with a
 * control character, is refused naming the field.
 */
export function parseAccessNames(value: readonly string[] | string, field: 'users' | 'groups'): string[] {
  const items = (typeof value === 'string' ? value.split(',') : value).map((n) => n.trim()).filter((n) => n !== '');
  const names = [...new Set(items)];
  for (const name of names) {
    // eslint-disable-next-line no-control-regex
    if (name.length > 255 || /[\u0000-\u001f\u007f]/.test(name)) {
      throw new DataalmError('INVALID_INPUT', `${field}: "${name.slice(0, 40)}" is not a user or group name (at most 255 characters, no control characters)`, { field });
    }
  }
  if (names.length > MAX_ACCESS_NAMES) {
    throw new DataalmError('INVALID_INPUT', `${field}: ${names.length} names; a policy names at most ${MAX_ACCESS_NAMES}`, { field });
  }
  return names;
}

export function isEmptyPolicy(policy: Pick<AccessPolicy, 'users' | 'groups'>): boolean {
  return policy.users.length === 0 && policy.groups.length === 0;
}

/** The preview's sentence, e.g. "After verification passes, these users are re-enabled: a, b." */
export function describeAccessPolicy(policy: Pick<AccessPolicy, 'users' | 'groups'>): string | undefined {
  if (isEmptyPolicy(policy)) return undefined;
  const parts = [
    ...(policy.users.length > 0 ? [`these users are re-enabled: ${policy.users.join(', ')}`] : []),
    ...(policy.groups.length > 0 ? [`the members of these groups are re-enabled: ${policy.groups.join(', ')}`] : []),
  ];
  return `After verification passes, ${parts.join('; and ')}.`;
}
