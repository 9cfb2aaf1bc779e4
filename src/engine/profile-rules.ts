import type { Mask, Profile, Rule } from '../domain/profile/profile-schema.js';
import { type CatalogColumn, type CatalogReader, type CatalogTable, type SourceCatalog, readSourceCatalog } from '../adapters/postgres/source-catalog.js';
import { type TableName, tableKey } from '../adapters/postgres/source-relations.js';
import { coverageFindings } from './profile-coverage.js';
import { type KeyMasks, keyMasks } from './key-masks.js';
import { maskMisfit, uniqueColumns } from './mask-checks.js';
import { settleForeignKeys } from './profile-keys.js';

/**
 * A profile read against one source database: which rule decides each table that holds
 * rows, and everything in the profile that does not fit the database. A rule on a
 * partitioned table decides each of its partitions; a partition's own rule, or a nearer
 * partitioned ancestor's, comes first.
 *
 * Findings are collected, not thrown, so `profile validate --against`, the refresh preview
 * and its preflight can name them all; the copy refuses the first one before anything is
 * created (planCopy).
 */
export interface ProfileFinding {
  /** Where in the profile, e.g. `rules[3].columns.email`. */
  readonly path: string;
  readonly message: string;
  /** Set on findings a preflight refuses with a code of its own (e.g. COVERAGE_UNDECIDED). */
  readonly code?: 'COVERAGE_UNDECIDED';
  /** The column a coverage finding is about, as schema.table.column. */
  readonly column?: string;
}

export interface ResolvedRule {
  readonly rule: Rule;
  readonly index: number;
  /** The partitioned table the rule names, when it decides this partition through it. */
  readonly via: TableName | undefined;
  /**
   * Set when a clear rule with `cascade: true` clears this table because it references
   * ("schema.name") a cleared table; `via` is then the partitioned table that declares the key.
   */
  readonly cascadedFrom?: string;
}

export interface ResolvedProfile {
  /** "schema.name" of each table with rows → the rule that decides it. */
  readonly rules: ReadonlyMap<string, ResolvedRule>;
  readonly findings: readonly ProfileFinding[];
  /** What may go wrong depending on the data, not on the profile (shown in the refresh preview). */
  readonly warnings: readonly string[];
  /** Masks on referenced keys, carried over to the columns that reference them. */
  readonly keyMasks: KeyMasks;
}

export function resolveProfile(catalog: SourceCatalog, profile: Profile): ResolvedProfile {
  const { relations } = catalog;
  const tables = new Map(catalog.tables.map((t) => [tableKey(t.schema, t.name), t]));
  const partitioned = new Set(relations.partitioned.map((t) => tableKey(t.schema, t.name)));
  const findings: ProfileFinding[] = [];
  // Each rule's tables: itself, or the partitions a partitioned table holds its rows in.
  const named = new Map<string, { rule: Rule; index: number }>();
  profile.rules.forEach((rule, index) => {
    const key = tableKey(rule.schema, rule.table);
    const path = `rules[${index}]`;
    if (!tables.has(key) && !partitioned.has(key)) {
      findings.push({ path, message: `${where(profile, path)}: table ${key} does not exist in the source${caseHint(rule, tables, partitioned)}` });
      return;
    }
    named.set(key, { rule, index });
    const leaves = partitioned.has(key) ? partitionsOf(catalog, rule) : [tables.get(key)!];
    for (const table of leaves) findings.push(...checkRuleColumns(rule, table, key, where(profile, path), path, uniqueColumns(catalog, table)));
  });
  const rules = new Map<string, ResolvedRule>();
  for (const table of catalog.tables) {
    const key = tableKey(table.schema, table.name);
    const own = named.get(key);
    if (own) {
      rules.set(key, { ...own, via: undefined });
      continue;
    }
    const ancestor = (relations.ancestors.get(key) ?? []).find((a) => named.has(tableKey(a.schema, a.name)));
    if (ancestor) rules.set(key, { ...named.get(tableKey(ancestor.schema, ancestor.name))!, via: ancestor });
  }
  // Masks on key columns carry over to the columns that reference them (key-masks.ts);
  // a clear must not leave rows that reference what it empties (profile-keys.ts).
  const keys = settleForeignKeys(catalog, profile, rules);
  const masks = keyMasks(catalog, rules);
  findings.push(...coverageFindings(catalog, profile, rules, masks));
  return { rules, findings: dedupe([...findings, ...masks.findings, ...keys.findings]), warnings: keys.warnings, keyMasks: masks };
}

/** The partitions (leaves, at any depth) that hold a partitioned table's rows. */
export function partitionsOf(catalog: SourceCatalog, parent: { schema: string; table: string }): CatalogTable[] {
  return catalog.tables.filter((t) =>
    (catalog.relations.ancestors.get(tableKey(t.schema, t.name)) ?? []).some((a) => a.schema === parent.schema && a.name === parent.table),
  );
}

const where = (profile: Profile, path: string) => `profile ${profile.name}: ${path}`;

function caseHint(rule: Rule, tables: ReadonlyMap<string, CatalogTable>, partitioned: ReadonlySet<string>): string {
  // Unquoted names fold to lower case in PostgreSQL: LogisticsElectronicAddress is logisticselectronicaddress.
  const folded = tableKey(rule.schema.toLowerCase(), rule.table.toLowerCase());
  if (!tables.has(folded) && !partitioned.has(folded)) return '';
  return ` (names are case-sensitive here: did you mean ${rule.table.toLowerCase()}?)`;
}

/** Partitions of one table share its columns: the same problem is said once. */
function dedupe(findings: ProfileFinding[]): ProfileFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => !seen.has(f.message) && seen.add(f.message));
}

/** `label`: the table the rule names (a partitioned table's partitions are checked under its name). */
function checkRuleColumns(rule: Rule, table: CatalogTable, label: string, where: string, path: string, unique: ReadonlySet<string>): ProfileFinding[] {
  const findings: ProfileFinding[] = [];
  const columns = new Map(table.columns.map((c) => [c.name, c]));
  const say = (at: string, message: string) => findings.push({ path: `${path}.${at}`, message: `${where}.${at}: ${message}` });
  const need = (name: string, at: string): CatalogColumn | undefined => {
    const column = columns.get(name);
    if (!column) say(at, `column ${name} does not exist in ${label}`);
    return column;
  };
  if (rule.action === 'mask') {
    for (const [name, mask] of Object.entries(rule.columns)) {
      const column = need(name, `columns.${name}`);
      if (!column) continue;
      if (column.generated) {
        say(`columns.${name}`, 'a generated column cannot be masked');
        continue;
      }
      const misfit = maskMisfit(column, mask, unique.has(name));
      if (misfit) say(`columns.${name}`, misfit);
      if (mask.when) need(mask.when.column, `columns.${name}.when.column`);
    }
  }
  if (rule.action === 'keep-target' && rule.columns) {
    if (table.primaryKey.length === 0) {
      findings.push({ path, message: `${where}: keeping columns needs a primary key, and ${label} has none` });
      return findings;
    }
    rule.columns.forEach((name, i) => {
      const column = need(name, `columns[${i}]`);
      if (!column) return;
      const misfit = rule.otherwise && maskMisfit(column, rule.otherwise, unique.has(name));
      if (misfit) say('otherwise', misfit);
      const fallback = rule.otherwise?.transformer ?? 'null';
      if (column.notNull && fallback === 'null') {
        say(
          'otherwise',
          `column ${name} is NOT NULL, so rows the target lacks need another value (e.g. otherwise: { transformer: constant, value: '' })`,
        );
      }
      if (table.primaryKey.includes(name)) say(`columns[${i}]`, `${name} is part of the primary key`);
    });
  }
  return findings;
}

/**
 * Reads the source's catalog in one read-only snapshot, resolves the profile against it, and
 * runs `within` in the same snapshot (e.g. to sample values of the columns it decides).
 */
export async function withProfileAgainst<T>(
  session: CatalogReader,
  profile: Profile,
  within: (catalog: SourceCatalog, resolved: ResolvedProfile) => Promise<T> | T,
): Promise<T> {
  await session.query('begin isolation level repeatable read read only');
  try {
    const catalog = await readSourceCatalog(session);
    return await within(catalog, resolveProfile(catalog, profile));
  } finally {
    await session.query('rollback').catch(() => {});
  }
}

/** The source's catalog and the profile resolved against it, read in one snapshot. */
export function readProfileAgainst(
  session: CatalogReader,
  profile: Profile,
): Promise<{ readonly catalog: SourceCatalog; readonly resolved: ResolvedProfile }> {
  return withProfileAgainst(session, profile, (catalog, resolved) => ({ catalog, resolved }));
}
