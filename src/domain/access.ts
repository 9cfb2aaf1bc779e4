/**
 * Terminology
 * - Role: what a user of the HTTP API may do (DESIGN §4). A project owner does everything,
 *   including managing users; an environment manager refreshes, rolls back and sees the
 *   credentials of non-production environments; a team member only reads.
 * - Permission: one thing a route needs. Each route of the API names exactly one.
 */
export const ROLES = ['owner', 'manager', 'member'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_TITLES: Readonly<Record<Role, string>> = {
  owner: 'Project owner',
  manager: 'Environment manager',
  member: 'Team member',
};

export const PERMISSIONS = [
  /** environments, operations, logs, verification reports, breadcrumbs, previews */
  'read',
  /** start a refresh or a restore, roll back, cancel */
  'operate',
  /**
   * add, change and remove environments. A project owner's only: an environment's
   * synchronize command runs on the dataalm host, and its profile may name a file there.
   */
  'manage-environments',
  /** connection URLs of non-production environments (audited; production never) */
  'reveal-credentials',
  /** the audit log */
  'read-audit',
  /** users and their roles, everyone's tokens */
  'manage-users',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Readonly<Record<Role, readonly Permission[]>> = {
  owner: PERMISSIONS,
  manager: ['read', 'operate', 'reveal-credentials', 'read-audit'],
  member: ['read'],
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
