import type { Profile } from '../domain/profile/profile-schema.js';
import type { SourceCatalog } from '../adapters/postgres/source-catalog.js';
import { type TableName, tableKey } from '../adapters/postgres/source-relations.js';
import type { KeyMasks } from './key-masks.js';
import type { ProfileFinding, ResolvedRule } from './profile-rules.js';

/**
 * Coverage: what the profile decides for each column of the source. A column is decided when
 * it is masked, its table is cleared or kept whole (keep-target), its values are kept
 * (keep-target columns), it is listed under `safe`, or it is generated (the target computes
 * it again from the other columns, which are decided themselves). With `coverage: strict`,
 * each undecided column is a finding with the code COVERAGE_UNDECIDED: the copy and the
 * refresh preflight refuse it, naming the column.
 */
export type ColumnDecision = 'masked' | 'cleared' | 'kept' | 'safe' | 'generated' | 'undecided';

export interface DecidedColumn {
  /** The table as a profile names it: a partition's columns are said once, under its partitioned root. */
  readonly schema: string;
  readonly table: string;
  readonly column: string;
  readonly type: string;
  readonly notNull: boolean;
  readonly decision: ColumnDecision;
  /** For `safe`: the reason the entry gives, when a person wrote one. */
  readonly reason?: string | undefined;
}

/** The finding code of an undecided column under `coverage: strict`. */
export const COVERAGE_UNDECIDED = 'COVERAGE_UNDECIDED';

/** Each column of each table that holds rows, with what the profile decides for it. */
export function columnDecisions(
  catalog: SourceCatalog,
  profile: Profile,
  rules: ReadonlyMap<string, ResolvedRule>,
  masks: KeyMasks,
): DecidedColumn[] {
  const safe = new Map((profile.safe ?? []).map((s) => [tableKey(s.schema, s.table), s]));
  // Masks on referenced keys carry over to the referencing columns (key-masks.ts).
  const carried = masks.carried;
  const seen = new Set<string>();
  const decided: DecidedColumn[] = [];
  for (const table of catalog.tables) {
    const key = tableKey(table.schema, table.name);
    const ancestors = catalog.relations.ancestors.get(key) ?? [];
    const label: TableName = ancestors.at(-1) ?? table;
    const rule = rules.get(key)?.rule;
    // A safe entry on the table itself or on any partitioned table above it.
    const entries = [table, ...ancestors].map((t) => safe.get(tableKey(t.schema, t.name))).filter((e) => e !== undefined);
    for (const column of table.columns) {
      const id = `${tableKey(label.schema, label.name)}.${column.name}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const entry = entries.find((e) => e.columns.includes('*') || e.columns.includes(column.name));
      decided.push({
        schema: label.schema,
        table: label.name,
        column: column.name,
        type: column.type,
        notNull: column.notNull,
        decision: [table, ...ancestors].some((t) => carried.get(tableKey(t.schema, t.name))?.has(column.name))
          ? 'masked'
          : decide(column.name, column.generated, rule, entry !== undefined),
        reason: entry?.reason,
      });
    }
  }
  return decided;
}

function decide(column: string, generated: boolean, rule: ResolvedRule['rule'] | undefined, listedSafe: boolean): ColumnDecision {
  if (rule?.action === 'clear') return 'cleared';
  if (rule?.action === 'keep-target' && !rule.columns) return 'kept';
  if (rule?.action === 'keep-target' && rule.columns?.includes(column)) return 'kept';
  if (rule?.action === 'mask' && Object.hasOwn(rule.columns, column)) return 'masked';
  if (listedSafe) return 'safe';
  if (generated) return 'generated';
  return 'undecided';
}

/**
 * What of the `safe` list does not fit the source (tables and columns it names), and with
 * `coverage: strict`, every undecided column. Called by resolveProfile.
 */
export function coverageFindings(
  catalog: SourceCatalog,
  profile: Profile,
  rules: ReadonlyMap<string, ResolvedRule>,
  masks: KeyMasks,
): ProfileFinding[] {
  const findings: ProfileFinding[] = [];
  const columnsOf = new Map<string, ReadonlySet<string>>();
  for (const table of catalog.tables) {
    const names = new Set(table.columns.map((c) => c.name));
    columnsOf.set(tableKey(table.schema, table.name), names);
    for (const a of catalog.relations.ancestors.get(tableKey(table.schema, table.name)) ?? []) columnsOf.set(tableKey(a.schema, a.name), names);
  }
  (profile.safe ?? []).forEach((entry, index) => {
    const key = tableKey(entry.schema, entry.table);
    const path = `safe[${index}]`;
    const columns = columnsOf.get(key);
    if (!columns) {
      findings.push({ path, message: `profile ${profile.name}: ${path}: table ${key} does not exist in the source` });
      return;
    }
    entry.columns.forEach((name, i) => {
      if (name !== '*' && !columns.has(name)) {
        findings.push({ path: `${path}.columns[${i}]`, message: `profile ${profile.name}: ${path}.columns[${i}]: column ${name} does not exist in ${key}` });
      }
    });
  });
  if (profile.coverage !== 'strict') return findings;
  for (const c of columnDecisions(catalog, profile, rules, masks)) {
    if (c.decision !== 'undecided') continue;
    const name = `${tableKey(c.schema, c.table)}.${c.column}`;
    findings.push({
      path: 'coverage',
      code: COVERAGE_UNDECIDED,
      column: name,
      message: `profile ${profile.name} has coverage: strict, and column ${name} is not decided: mask it, clear or keep its table, or list it under safe`,
    });
  }
  return findings;
}
