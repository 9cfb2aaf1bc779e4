import type { Actor } from '../domain/actor.js';
import { type AccessPolicy, isEmptyPolicy, parseAccessNames } from '../domain/access-policy.js';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import type { Environment } from '../domain/environment.js';
import { loadProfile } from '../adapters/profile/profile-files.js';
import type { Runtime } from './runtime.js';

/** An environment's access policy, and what its profile lets a policy name. */
export interface AccessPolicyView extends AccessPolicy {
  readonly environment: string;
  readonly profile: string;
  /** Whether the profile says how its application enables a user, and a group's members. */
  readonly supports: { readonly users: boolean; readonly groups: boolean };
}

export async function accessPolicyOf(runtime: Runtime, name: string): Promise<AccessPolicyView> {
  const environment = await runtime.environments.get(name);
  return view(environment, await runtime.accessPolicies.get(name));
}

/**
 * Replaces an environment's access policy (empty lists remove it). Refused for a production
 * environment (never refreshed), and for names its profile cannot enable: a profile without
 * an `access.enable` statement takes no users, one without `access.groups` no groups.
 */
export async function setAccessPolicy(
  runtime: Runtime,
  name: string,
  input: { readonly users: readonly string[] | string; readonly groups: readonly string[] | string },
  actor: Actor,
): Promise<AccessPolicyView> {
  const environment = await runtime.environments.get(name);
  const policy = { users: parseAccessNames(input.users, 'users'), groups: parseAccessNames(input.groups, 'groups') };
  if (!isEmptyPolicy(policy)) {
    if (environment.type === 'production') {
      throw new DataalmError('INVALID_INPUT', `${name} is a production environment: it is never refreshed, so it has no post-refresh access policy`, {
        field: 'name',
        remedy: 'set the policy on the sandbox that is refreshed',
      });
    }
    const supports = supportsOf(environment);
    if (policy.users.length > 0 && !supports.users) {
      throw new DataalmError('INVALID_INPUT', `users: profile ${profileName(environment)} of ${name} does not say how its application enables a user (no access.enable statement)`, {
        field: 'users',
        remedy: 'add access.enable to the profile (a statement enabling the users named in $1, a text[]), or use a profile that has it, such as finance-operations',
      });
    }
    if (policy.groups.length > 0 && !supports.groups) {
      throw new DataalmError('INVALID_INPUT', `groups: profile ${profileName(environment)} of ${name} does not say how its application enables a group's members (no access.groups statement)`, {
        field: 'groups',
        remedy: 'name the users instead, or add access.groups to the profile (a statement enabling the members of the groups named in $1, a text[])',
      });
    }
  }
  return view(environment, await runtime.accessPolicies.set(name, policy, actor));
}

function view(environment: Environment, policy: AccessPolicy): AccessPolicyView {
  return { environment: environment.name, profile: profileName(environment), ...policy, supports: supportsOf(environment) };
}

function supportsOf(environment: Environment): { users: boolean; groups: boolean } {
  const access = loadProfile(environment.profile).access;
  return { users: access !== undefined, groups: access?.groups !== undefined };
}

function profileName(environment: Environment): string {
  return loadProfile(environment.profile).name;
}
