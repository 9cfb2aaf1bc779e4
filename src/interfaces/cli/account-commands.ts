import crypto from 'node:crypto';
import type { Command } from 'commander';
import { ROLE_TITLES } from '../../domain/access.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { addUser, createToken, parseRole, setPassword } from '../../app/accounts.js';
import type { ApiToken, NewApiToken, User } from '../../contract/index.js';
import { printJson, withBackend } from './command-context.js';
import { localActor } from './local-actor.js';
import { table } from './operation-view.js';

/** A user as the CLI knows one, locally or from the API: the contract's, but for the role's title. */
type UserView = Pick<User, 'name' | 'role' | 'createdAt'>;

/** A user as --json prints one, the same locally and with --server. */
function userJson(u: UserView): UserView {
  return { name: u.name, role: u.role, createdAt: u.createdAt };
}

/** The password from standard input (--password-stdin), or a generated one that is printed once. */
async function passwordInput(fromStdin: boolean | undefined): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: crypto.randomBytes(12).toString('base64url'), generated: true };
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new DataalmError('INVALID_INPUT', 'password: nothing on standard input (--password-stdin)', { field: 'password' });
  return { password, generated: false };
}

function userTable(users: readonly UserView[]): string {
  return table(
    ['NAME', 'ROLE', 'CREATED'],
    users.map((u) => [u.name, `${u.role} (${ROLE_TITLES[u.role]})`, u.createdAt.replace(/\.\d+Z$/, 'Z')]),
  );
}

function tokenTable(tokens: readonly ApiToken[]): string {
  if (tokens.length === 0) return 'No API tokens.\n';
  const time = (t: string | null) => (t === null ? '-' : t.replace(/\.\d+Z$/, 'Z'));
  return table(
    ['ID', 'NAME', 'USER', 'CREATED', 'LAST USED', 'REVOKED'],
    tokens.map((t) => [String(t.id), t.name, t.user, time(t.createdAt), time(t.lastUsedAt), time(t.revokedAt)]),
  );
}

function parseTokenId(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new DataalmError('INVALID_INPUT', `ID: "${text}" is not a token id (see dataalm token list)`, { field: 'id' });
  return Number(text);
}

export function registerAccountCommands(program: Command): void {
  const user = program
    .command('user')
    .description('users of the web UI and HTTP API, and their roles: owner (project owner), manager (environment manager), member (read-only)');

  user
    .command('add')
    .description('add a user; the password is read from standard input, or generated and printed once')
    .argument('<name>', 'user name: lower-case letters, digits, dot, dash, underscore')
    .requiredOption('--role <role>', 'owner, manager or member')
    .option('--password-stdin', 'read the password (at least 12 characters) from standard input')
    .option('--json', 'print the user as JSON')
    .action(async (name: string, o: { role: string; passwordStdin?: boolean; json?: boolean }) =>
      withBackend(o, {
        local: async (runtime) => {
          parseRole(o.role);
          const { password, generated } = await passwordInput(o.passwordStdin);
          const added = await addUser(runtime, { name, role: o.role, password }, localActor());
          reportAdded(added, generated ? password : undefined, o);
        },
        remote: async (client) => {
          parseRole(o.role);
          const { password, generated } = await passwordInput(o.passwordStdin);
          const added = await client.call('POST /api/users', { body: { name, role: o.role, password } });
          reportAdded(added, generated ? password : undefined, o);
        },
      }),
    );

  user
    .command('list')
    .description('every user and role')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }) => {
      const show = (users: readonly UserView[]) =>
        o.json ? printJson(users.map(userJson)) : process.stdout.write(userTable(users));
      await withBackend(o, {
        local: async (runtime) => show(await runtime.accounts.listUsers()),
        remote: async (client) => show(await client.call('GET /api/users')),
      });
    });

  user
    .command('set-role')
    .description("change a user's role; their sessions end (the last project owner keeps the role)")
    .argument('<name>', 'user name')
    .argument('<role>', 'owner, manager or member')
    .option('--json', 'print the user as JSON')
    .action(async (name: string, roleText: string, o: { json?: boolean }) => {
      const done = (u: UserView) => (o.json ? printJson(userJson(u)) : process.stdout.write(`User ${u.name} is now ${u.role} (${ROLE_TITLES[u.role]}).\n`));
      await withBackend(o, {
        local: async (runtime) => done((await runtime.accounts.changeUser(name, { role: parseRole(roleText) }, localActor()))!),
        remote: async (client) => done(await client.call('PATCH /api/users/:name', { params: { name }, body: { role: parseRole(roleText) } })),
      });
    });

  user
    .command('set-password')
    .description("set a user's password (from standard input, or generated and printed once); their sessions end")
    .argument('<name>', 'user name')
    .option('--password-stdin', 'read the password (at least 12 characters) from standard input')
    .action(async (name: string, o: { passwordStdin?: boolean }) =>
      withBackend({}, {
        local: async (runtime) => {
          const { password, generated } = await passwordInput(o.passwordStdin);
          await setPassword(runtime, name, password, localActor());
          process.stdout.write(generated ? `Password of ${name} set to ${password} (shown only this once).\n` : `Password of ${name} changed.\n`);
        },
        remote: async () => {
          throw new DataalmError('INVALID_INPUT', 'passwords are set on the dataalm host only, not with --server', { field: 'server' });
        },
      }),
    );

  user
    .command('remove')
    .description('remove a user with their sessions and tokens (not the last project owner)')
    .argument('<name>', 'user name')
    .option('--json', 'print {"removed": NAME}')
    .action(async (name: string, o: { json?: boolean }) => {
      const done = () => (o.json ? printJson({ removed: name }) : process.stdout.write(`User ${name} removed.\n`));
      await withBackend(o, {
        local: async (runtime) => {
          await runtime.accounts.changeUser(name, 'remove', localActor());
          done();
        },
        remote: async (client) => {
          await client.call('DELETE /api/users/:name', { params: { name } });
          done();
        },
      });
    });

  const token = program.command('token').description('API tokens for automation (Authorization: Bearer …, or DATAALM_TOKEN for --server)');

  token
    .command('create')
    .description('create a token; it is printed once and stored only as a hash')
    .requiredOption('--name <label>', 'what the token is for, e.g. "nightly refresh"')
    .option('--user <name>', 'the user it acts as (locally; with --server it is always the token\'s own user)', 'admin')
    .option('--json', 'print {"id", "name", "user", "token"}')
    .action(async (o: { name: string; user: string; json?: boolean }) => {
      const done = (t: NewApiToken) =>
        o.json
          ? printJson(t)
          : process.stdout.write(`Token ${t.id} (${t.name}) for ${t.user}; shown only this once:\n${t.token}\n`);
      await withBackend(o, {
        local: async (runtime) => done(await createToken(runtime, o.user, o.name, localActor())),
        remote: async () => {
          throw new DataalmError('INVALID_INPUT', 'tokens are created in the web UI (Your account) or on the dataalm host, not with a token', {
            field: 'server',
            remedy: 'sign in to the web UI and create it under Your account, or run dataalm token create on the host',
          });
        },
      });
    });

  token
    .command('list')
    .description('tokens (never the token itself), with when each was last used')
    .option('--user <name>', 'only this user\'s tokens (locally)')
    .option('--json', 'print a JSON array')
    .action(async (o: { user?: string; json?: boolean }) => {
      const show = (tokens: readonly ApiToken[]) => (o.json ? printJson(tokens) : process.stdout.write(tokenTable(tokens)));
      await withBackend(o, {
        local: async (runtime) => show(await runtime.accounts.listTokens(o.user ? { user: o.user } : {})),
        remote: async (client) => show((await client.call('GET /api/tokens')).filter((t) => o.user === undefined || t.user === o.user)),
      });
    });

  token
    .command('revoke')
    .description('revoke a token at once')
    .argument('<ID>', 'token id (dataalm token list)')
    .option('--json', 'print {"revoked": ID}')
    .action(async (text: string, o: { json?: boolean }) => {
      const done = (id: number) => (o.json ? printJson({ revoked: id }) : process.stdout.write(`Token ${id} revoked.\n`));
      await withBackend(o, {
        local: async (runtime) => {
          const id = parseTokenId(text);
          await runtime.accounts.revokeToken(id, localActor());
          done(id);
        },
        remote: async (client) => {
          const id = parseTokenId(text);
          await client.call('DELETE /api/tokens/:id', { params: { id } });
          done(id);
        },
      });
    });
}

function reportAdded(user: UserView, generatedPassword: string | undefined, o: { json?: boolean }): void {
  if (o.json) printJson({ ...userJson(user), ...(generatedPassword ? { password: generatedPassword } : {}) });
  else {
    process.stdout.write(`User ${user.name} added as ${user.role} (${ROLE_TITLES[user.role]}).\n`);
    if (generatedPassword) process.stdout.write(`Password (shown only this once): ${generatedPassword}\n`);
  }
}
