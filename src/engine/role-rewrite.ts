import type { MissingRolePolicy } from '../domain/profile/profile-schema.js';
import { quoteIdent } from './mask-sql.js';
import type { SchemaScript, ScriptEntry } from './schema-script.js';
import { type SqlToken, isKeyword, roleOf, tokenize } from './sql-tokens.js';

/**
 * Where a schema script names roles, and how those names are changed for the target server.
 * Only these statement positions are read or rewritten, never function bodies or view
 * definitions:
 * - an entry's last statement `ALTER … OWNER TO x;` (x is the header's Owner);
 * - in ACL and DEFAULT ACL entries: `GRANT … TO x [WITH GRANT OPTION] [GRANTED BY y];`,
 *   `REVOKE … FROM x;`, `SET SESSION AUTHORIZATION x;`, `ALTER DEFAULT PRIVILEGES FOR ROLE x …`;
 * - in POLICY entries: the `TO r1, r2` list of `CREATE POLICY`.
 * PUBLIC and CURRENT_USER-style keywords are not roles.
 */
type RefKind = 'owner' | 'grantee' | 'grantor' | 'session' | 'defaults-for' | 'policy';

interface RoleRef {
  readonly kind: RefKind;
  readonly role: string;
  readonly token: SqlToken;
  /** The statement it is in (offsets into the entry's sql). */
  readonly statement: { readonly start: number; readonly end: number };
}

/** One role the script references: its source name, its name on the target, and whether it exists there. */
export interface InvolvedRole {
  readonly source: string;
  readonly target: string;
  readonly exists: boolean;
}

const ACL_TYPES = new Set(['ACL', 'DEFAULT ACL']);

/** Every role reference of an entry. Throws on an ACL statement of an unknown shape. */
function roleRefs(entry: ScriptEntry): RoleRef[] {
  const refs: RoleRef[] = [];
  if (ACL_TYPES.has(entry.type) || entry.type === 'POLICY') {
    for (const statement of statementsOf(entry.sql)) {
      const add = (kind: RefKind, token: SqlToken | undefined) => {
        const role = token && roleOf(token);
        if (role !== undefined) refs.push({ kind, role, token: token!, statement });
      };
      const t = statement.tokens;
      if (entry.type === 'POLICY') policyRoles(t).forEach((token) => add('policy', token));
      else aclRefs(t, entry).forEach(([kind, token]) => add(kind, token));
    }
  }
  const owner = ownerStatement(entry);
  if (owner) {
    const role = roleOf(owner.token);
    if (role !== undefined) refs.push({ kind: 'owner', role, token: owner.token, statement: owner.statement });
  }
  return refs;
}

function aclRefs(t: readonly SqlToken[], entry: ScriptEntry): [RefKind, SqlToken | undefined][] {
  const unknown = () => new Error(`${entry.type} ${entry.name}: a statement dataalm cannot read: ${t.map((x) => x.value).join(' ').slice(0, 160)}`);
  if (isKeyword(t[0], 'SET') && isKeyword(t[1], 'SESSION') && isKeyword(t[2], 'AUTHORIZATION')) return [['session', t[3]]];
  if (isKeyword(t[0], 'RESET') && isKeyword(t[1], 'SESSION') && isKeyword(t[2], 'AUTHORIZATION')) return [];
  const refs: [RefKind, SqlToken | undefined][] = [];
  let k = 0;
  if (isKeyword(t[0], 'ALTER') && isKeyword(t[1], 'DEFAULT') && isKeyword(t[2], 'PRIVILEGES')) {
    k = 3;
    if (isKeyword(t[3], 'FOR') && (isKeyword(t[4], 'ROLE') || isKeyword(t[4], 'USER'))) {
      refs.push(['defaults-for', t[5]]);
      k = 6;
    }
    if (isKeyword(t[k], 'IN') && isKeyword(t[k + 1], 'SCHEMA')) {
      k += 3;
      while (t[k]?.value === ',') k += 2;
    }
  }
  const verb = isKeyword(t[k], 'GRANT') ? 'TO' : isKeyword(t[k], 'REVOKE') ? 'FROM' : undefined;
  if (!verb) throw unknown();
  let at = -1;
  for (let j = k; j < t.length; j++) if (t[j]!.depth === 0 && isKeyword(t[j], verb)) at = j;
  if (at < 0 || t.at(-1)?.value !== ';') throw unknown();
  let j = at + 1;
  for (;;) {
    refs.push(['grantee', t[j]]);
    if (t[j + 1]?.value !== ',') break;
    j += 2;
  }
  j++;
  if (isKeyword(t[j], 'WITH') && isKeyword(t[j + 1], 'GRANT') && isKeyword(t[j + 2], 'OPTION')) j += 3;
  if (isKeyword(t[j], 'GRANTED') && isKeyword(t[j + 1], 'BY')) {
    refs.push(['grantor', t[j + 2]]);
    j += 3;
  }
  if (isKeyword(t[j], 'CASCADE') || isKeyword(t[j], 'RESTRICT')) j++;
  if (j !== t.length - 1) throw unknown();
  return refs;
}

/** The name tokens of CREATE POLICY's TO list (read from the statement's start). */
function policyRoles(t: readonly SqlToken[]): SqlToken[] {
  if (!(isKeyword(t[0], 'CREATE') && isKeyword(t[1], 'POLICY'))) return [];
  let k = 3; // the policy's name
  if (!isKeyword(t[k], 'ON')) return [];
  k += 2;
  while (t[k]?.value === '.') k += 2;
  if (isKeyword(t[k], 'AS')) k += 2;
  if (isKeyword(t[k], 'FOR')) k += 2;
  if (!isKeyword(t[k], 'TO')) return [];
  const names: SqlToken[] = [];
  for (k++; ; k += 2) {
    names.push(t[k]!);
    if (t[k + 1]?.value !== ',') break;
  }
  return names;
}

/** The entry's final `ALTER … OWNER TO x;` when x is the header's Owner. */
function ownerStatement(entry: ScriptEntry): { token: SqlToken; statement: Statement } | undefined {
  if (entry.owner === '' || entry.owner === '-') return undefined;
  const start = entry.sql.lastIndexOf('ALTER ');
  if (start < 0 || (start > 0 && entry.sql[start - 1] !== '\n')) return undefined;
  let tokens: SqlToken[];
  try {
    tokens = tokenize(entry.sql.slice(start));
  } catch {
    return undefined;
  }
  const last = tokens.at(-1);
  if (last?.value !== ';' || start + last.end !== entry.sql.length || tokens.length < 4) return undefined;
  const name = tokens.at(-2)!;
  if (!isKeyword(tokens.at(-4), 'OWNER') || !isKeyword(tokens.at(-3), 'TO') || roleOf(name) !== entry.owner) return undefined;
  const shifted = tokens.map((x) => ({ ...x, start: x.start + start, end: x.end + start }));
  return { token: shifted.at(-2)!, statement: { start, end: entry.sql.length, tokens: shifted } };
}

interface Statement {
  readonly start: number;
  readonly end: number;
  readonly tokens: readonly SqlToken[];
}

function statementsOf(sql: string): Statement[] {
  const statements: Statement[] = [];
  let pos = 0;
  while (pos < sql.length) {
    const tokens = tokenize(sql.slice(pos));
    if (tokens.length === 0) break;
    const shifted = tokens.map((x) => ({ ...x, start: x.start + pos, end: x.end + pos }));
    const end = shifted.at(-1)!.end;
    statements.push({ start: shifted[0]!.start, end, tokens: shifted });
    pos = end;
  }
  return statements;
}

/** Every role the scripts reference (source names), USER MAPPING entries aside. */
export function referencedRoles(scripts: readonly SchemaScript[]): Set<string> {
  const roles = new Set<string>();
  for (const script of scripts) {
    for (const entry of script.entries) if (entry.type !== 'USER MAPPING') for (const ref of roleRefs(entry)) roles.add(ref.role);
  }
  return roles;
}

/** `role` through the role map (own keys only: a role may be called "constructor"). */
export function mappedRole(roleMap: Readonly<Record<string, string>>, role: string): string {
  return Object.hasOwn(roleMap, role) ? roleMap[role]! : role;
}

/**
 * The roles involved (the scripts' and `otherRoles`, source names), mapped through
 * `roleMap`, with whether each exists on the target server.
 */
export function involvedRoles(
  scripts: readonly SchemaScript[],
  roleMap: Readonly<Record<string, string>>,
  targetRoles: ReadonlySet<string>,
  otherRoles: readonly string[] = [],
): InvolvedRole[] {
  return [...new Set([...referencedRoles(scripts), ...otherRoles])].sort().map((source) => {
    const target = mappedRole(roleMap, source);
    return { source, target, exists: targetRoles.has(target) };
  });
}

export interface RewriteOptions {
  readonly roleMap: Readonly<Record<string, string>>;
  /** Target names of the roles missing on the target server (after the map). */
  readonly missing: ReadonlySet<string>;
  readonly policy: MissingRolePolicy;
  /** The connecting user on the target: who owns what a missing role owned (target-user). */
  readonly targetUser: string;
  /**
   * Write pg_dump's `SET SESSION AUTHORIZATION x` (a grant made by a role other than the
   * owner) as `SET ROLE x`, which a member of x may run without being a superuser; the
   * grantor is x either way. (Default: false, the script as written)
   */
  readonly setRole?: boolean;
}

/** What target-user changed, for the copy's warnings. */
export interface RewriteReport {
  ownersReplaced: number;
  grantsDropped: number;
  defaultsDropped: number;
  policiesChanged: number;
}

/**
 * The entry with its role names mapped; undefined when the entry is dropped as a whole
 * (default privileges of a missing role under target-user). An entry without mapped or
 * missing roles comes back unchanged, byte for byte.
 */
export function rewriteEntry(entry: ScriptEntry, options: RewriteOptions, report: RewriteReport): ScriptEntry | undefined {
  const refs = roleRefs(entry);
  const target = (role: string) => mappedRole(options.roleMap, role);
  const gone = (role: string) => options.policy === 'target-user' && options.missing.has(target(role));
  const sessionRefs = options.setRole === true && refs.some((r) => r.kind === 'session');
  if (!sessionRefs && (refs.length === 0 || refs.every((r) => target(r.role) === r.role && !gone(r.role)))) return entry;
  if (refs.some((r) => r.kind === 'defaults-for' && gone(r.role))) {
    report.defaultsDropped++;
    return undefined;
  }
  const edits: { start: number; end: number; text: string }[] = [];
  const dropStatement = (s: { start: number; end: number }) => edits.push({ start: s.start, end: s.end, text: '' });
  let skippingUntilReset = false;
  const byStatement = new Map<number, RoleRef[]>();
  for (const ref of refs) byStatement.set(ref.statement.start, [...(byStatement.get(ref.statement.start) ?? []), ref]);
  const statements = ACL_TYPES.has(entry.type) ? statementsOf(entry.sql) : [];
  for (const statement of statements) {
    if (skippingUntilReset) {
      dropStatement(statement);
      if (isKeyword(statement.tokens[0], 'RESET')) skippingUntilReset = false;
      continue;
    }
    const own = byStatement.get(statement.start) ?? [];
    if (own.some((r) => r.kind === 'session' && gone(r.role))) {
      report.grantsDropped++;
      dropStatement(statement);
      skippingUntilReset = true;
    } else if (own.some((r) => (r.kind === 'grantee' || r.kind === 'grantor') && gone(r.role))) {
      report.grantsDropped++;
      dropStatement(statement);
    } else if (options.setRole === true && isKeyword(statement.tokens[1], 'SESSION') && isKeyword(statement.tokens[2], 'AUTHORIZATION')) {
      // SET/RESET SESSION AUTHORIZATION [x] → SET ROLE [x] / RESET ROLE.
      const name = own[0] ? quoteIdent(target(own[0].role)) : '';
      edits.push({ start: statement.start, end: statement.end, text: name ? `SET ROLE ${name};` : 'RESET ROLE;' });
    } else {
      for (const r of own) if (target(r.role) !== r.role) edits.push({ start: r.token.start, end: r.token.end, text: quoteIdent(target(r.role)) });
    }
  }
  for (const r of refs) {
    if (r.kind === 'owner') {
      if (gone(r.role)) {
        // The connecting user owns it: as the creator already, and for what exists before
        // the restore (the public schema) by this very statement.
        report.ownersReplaced++;
        edits.push({ start: r.token.start, end: r.token.end, text: quoteIdent(options.targetUser) });
      } else if (target(r.role) !== r.role) edits.push({ start: r.token.start, end: r.token.end, text: quoteIdent(target(r.role)) });
    }
  }
  const policyRefs = refs.filter((r) => r.kind === 'policy');
  if (policyRefs.length > 0) {
    const names = [...new Set(policyRefs.filter((r) => !gone(r.role)).map((r) => quoteIdent(target(r.role))))];
    // Other names in the list (PUBLIC, CURRENT_USER …) stay as they are.
    const statement = policyRefs[0]!.statement as Statement;
    const list = policyRoles(statement.tokens);
    const others = list.filter((token) => roleOf(token) === undefined).map((token) => entry.sql.slice(token.start, token.end));
    if (policyRefs.some((r) => gone(r.role))) report.policiesChanged++;
    const all = [...names, ...others];
    if (all.length === 0) all.push(quoteIdent(options.targetUser));
    edits.push({ start: list[0]!.start, end: list.at(-1)!.end, text: all.join(', ') });
  }
  edits.sort((a, b) => b.start - a.start);
  let sql = entry.sql;
  for (const edit of edits) sql = sql.slice(0, edit.start) + edit.text + sql.slice(edit.end);
  return { ...entry, sql };
}
