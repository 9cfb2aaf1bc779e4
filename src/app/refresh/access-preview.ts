import { describeAccessPolicy, isEmptyPolicy } from '../../domain/access-policy.js';
import type { Environment } from '../../domain/environment.js';
import type { Profile } from '../../domain/profile/profile-schema.js';
import type { Runtime } from '../runtime.js';

/**
 * The target's access policy as the preview shows it: the sentence for the list of what
 * happens afterwards, and the lists. A policy its profile can no longer apply is a warning.
 */
export async function previewAccess(
  runtime: Runtime,
  target: Environment,
  profile: Profile | undefined,
  warnings: string[],
): Promise<{ sentence: string; policy: { users: string[]; groups: string[] } } | undefined> {
  const policy = await runtime.accessPolicies.get(target.name);
  if (isEmptyPolicy(policy)) return undefined;
  if (profile === undefined) return undefined;
  if (profile.access === undefined || (policy.groups.length > 0 && profile.access.groups === undefined)) {
    warnings.push(`${target.name}'s access policy names users or groups, but profile ${profile.name} does not say how to enable them: nobody is re-enabled.`);
    return undefined;
  }
  return { sentence: describeAccessPolicy(policy)!, policy: { users: [...policy.users], groups: [...policy.groups] } };
}
