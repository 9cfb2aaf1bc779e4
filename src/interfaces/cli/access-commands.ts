import type { Command } from 'commander';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { parseAccessNames } from '../../domain/access-policy.js';
import { accessPolicyOf, setAccessPolicy } from '../../app/access-policy-service.js';
import type { AccessPolicy } from '../../contract/index.js';
import { printJson, withBackend } from './command-context.js';
import { localActor } from './local-actor.js';

interface AccessOptions {
  enableUsers?: string;
  enableGroups?: string;
  clear?: boolean;
  json?: boolean;
}

/** `dataalm env access`: show or change a sandbox's post-refresh access policy. */
export function registerAccessCommand(env: Command): void {
  env
    .command('access')
    .description('show or set the users (or groups) a refresh re-enables once its verification passed; without options, show it')
    .argument('<name>', 'environment name (a sandbox)')
    .option('--enable-users <ids>', "application user ids, comma-separated (replaces the policy's users)")
    .option('--enable-groups <groups>', "application user groups whose members are re-enabled, comma-separated (replaces the policy's groups)")
    .option('--clear', 'remove the policy: everyone but Admin and service accounts stays disabled after a refresh')
    .option('--json', 'print the policy as JSON')
    .action(async (name: string, o: AccessOptions) => {
      // Parsed inside the backend's actions, so a wrong option is reported as every error is.
      const show = (policy: AccessPolicy, changed: boolean) => (o.json ? printJson(policy) : process.stdout.write(accessText(policy, changed)));
      await withBackend(o, {
        local: async (runtime) => {
          const change = changeOf(o);
          const current = await accessPolicyOf(runtime, name);
          if (change === undefined) return show(current, false);
          show(await setAccessPolicy(runtime, name, { users: change.users ?? current.users, groups: change.groups ?? current.groups }, localActor()), true);
        },
        remote: async (client) => {
          const change = changeOf(o);
          const current = await client.call('GET /api/environments/:name/access-policy', { params: { name } });
          if (change === undefined) return show(current, false);
          const body = { users: change.users ?? [...current.users], groups: change.groups ?? [...current.groups] };
          show(await client.call('PUT /api/environments/:name/access-policy', { params: { name }, body }), true);
        },
      });
    });
}

/** The lists the options replace; a list not named stays as it is. Undefined: only show. */
function changeOf(o: AccessOptions): { users?: string[]; groups?: string[] } | undefined {
  if (o.clear) {
    if (o.enableUsers !== undefined || o.enableGroups !== undefined) {
      throw new DataalmError('INVALID_INPUT', '--clear removes the whole policy: give it alone, or --enable-users/--enable-groups alone', { field: 'clear' });
    }
    return { users: [], groups: [] };
  }
  if (o.enableUsers === undefined && o.enableGroups === undefined) return undefined;
  return {
    ...(o.enableUsers === undefined ? {} : { users: parseAccessNames(o.enableUsers, 'users') }),
    ...(o.enableGroups === undefined ? {} : { groups: parseAccessNames(o.enableGroups, 'groups') }),
  };
}

function accessText(policy: AccessPolicy, changed: boolean): string {
  const lines = [`Access policy of ${policy.environment} (profile ${policy.profile})${changed ? ' saved' : ''}:`];
  if (policy.users.length === 0 && policy.groups.length === 0) {
    lines.push('  none: after a refresh, every user but Admin and the service accounts stays disabled.');
  } else {
    lines.push('  after a refresh, once its verification passed, these are re-enabled:');
    if (policy.users.length > 0) lines.push(`  users:  ${policy.users.join(', ')}`);
    if (policy.groups.length > 0) lines.push(`  groups: ${policy.groups.join(', ')}`);
    lines.push(`  set by ${policy.updatedBy} at ${policy.updatedAt}`);
  }
  if (!policy.supports.users) lines.push(`  profile ${policy.profile} does not say how its application enables a user: no policy can be set.`);
  else if (!policy.supports.groups) lines.push(`  profile ${policy.profile} enables users by id only (it names no statement for groups).`);
  return `${lines.join('\n')}\n`;
}
