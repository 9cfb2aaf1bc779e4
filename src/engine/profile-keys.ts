import type { Profile, Rule } from '../domain/profile/profile-schema.js';
import type { SourceCatalog } from '../adapters/postgres/source-catalog.js';
import { type CatalogForeignKey, type TableName, tableKey } from '../adapters/postgres/source-relations.js';
import type { ProfileFinding, ResolvedRule } from './profile-rules.js';

/**
 * What the profile's rules do to the source's foreign keys, read before anything is copied.
 *
 * - A cleared table that a copied table references would leave the copy's rows pointing at
 *   nothing, and the copy would fail only at its constraints step, after all the data.
 *   That is a finding, naming the referencing tables and keys, unless the clear rule says
 *   `cascade: true`: then the referencing tables are cleared too (and the tables that
 *   reference those, in turn), and `rules` says so (`cascadedFrom`).
 * - A table kept whole from the target (keep-target without columns) is not cleared by a
 *   cascade: its rows are the target's, and the person asked to keep them. It is a finding.
 * - A table kept whole from the target that copied tables reference (or that references
 *   copied tables) is a warning, not a finding: whether the target's rows hold the keys the
 *   source's rows use depends on the data, not on the profile. Configuration tables kept
 *   per environment usually share their keys with production (they were copied from it
 *   once), and refusing them would refuse the profiles that work. When they do not, the
 *   copy fails at its constraints step, which the error then names.
 *
 * A foreign key declared on a partitioned table holds for each of its partitions, and one
 * referencing a partitioned table references the rows of its partitions; a self-reference
 * of a cleared table is no problem (both ends are empty).
 */
export interface ForeignKeyOutcome {
  readonly findings: readonly ProfileFinding[];
  readonly warnings: readonly string[];
}

/** Checks `rules` (leaf table → its rule) against the foreign keys; adds the tables a cascade clears to it. */
export function settleForeignKeys(catalog: SourceCatalog, profile: Profile, rules: Map<string, ResolvedRule>): ForeignKeyOutcome {
  const leaves = leavesByTable(catalog);
  const leavesOf = (schema: string, table: string) => leaves.get(tableKey(schema, table)) ?? [];
  const cleared = (leaf: string) => rules.get(leaf)?.rule.action === 'clear';
  const keptWhole = (leaf: string) => {
    const rule = rules.get(leaf)?.rule;
    return rule?.action === 'keep-target' && !rule.columns;
  };
  const keys = catalog.relations.foreignKeys;
  // Cascades first, until nothing more is cleared: a cascaded table may be referenced in turn.
  for (let changed = true; changed; ) {
    changed = false;
    for (const fk of keys) {
      const origin = leavesOf(fk.refSchema, fk.refTable).map((leaf) => rules.get(leaf)).find((r) => r?.rule.action === 'clear' && r.rule.cascade);
      if (!origin) continue;
      for (const leaf of leavesOf(fk.schema, fk.table)) {
        if (cleared(leaf) || keptWhole(leaf)) continue;
        rules.set(leaf, { rule: origin.rule, index: origin.index, via: parentOf(catalog, fk, leaf), cascadedFrom: tableKey(fk.refSchema, fk.refTable) });
        changed = true;
      }
    }
  }
  // Then every key from a table that still has rows to a cleared one is a finding, per cleared table.
  const broken = new Map<string, { clearing: ResolvedRule; table: string; keys: CatalogForeignKey[] }>();
  const warnings: string[] = [];
  for (const fk of keys) {
    const from = leavesOf(fk.schema, fk.table);
    const to = leavesOf(fk.refSchema, fk.refTable);
    const clearing = to.map((leaf) => rules.get(leaf)).find((r) => r?.rule.action === 'clear');
    if (clearing && from.some((leaf) => !cleared(leaf))) {
      const table = tableKey(fk.refSchema, fk.refTable);
      const entry = broken.get(`${clearing.index} ${table}`) ?? { clearing, table, keys: [] };
      entry.keys.push(fk);
      broken.set(`${clearing.index} ${table}`, entry);
      continue;
    }
    const keptFrom = from.some(keptWhole);
    const keptTo = to.some(keptWhole);
    if (keptFrom === keptTo || from.every(cleared) || to.every(cleared)) continue;
    const [referencing, referenced] = [tableKey(fk.schema, fk.table), tableKey(fk.refSchema, fk.refTable)];
    const [kept, other] = keptTo ? [referenced, referencing] : [referencing, referenced];
    warnings.push(
      `${kept} keeps the target's rows, and ${referencing} references ${referenced} (${fk.name}): if the target's rows of ${kept} do not match the keys of ${other}'s copied rows, the refresh fails at its constraints step`,
    );
  }
  const findings = [...broken.values()].map((b) =>
    clearFinding(profile, b.clearing, b.table, b.keys, (table) => (leaves.get(table) ?? []).some(keptWhole)),
  );
  return { findings, warnings };
}

/** "rules[1]: public.rental is cleared, but public.payment (payment_rental_id_fkey) references it: …" */
function clearFinding(
  profile: Profile,
  clearing: ResolvedRule,
  table: string,
  refs: readonly CatalogForeignKey[],
  keptWhole: (table: string) => boolean,
): ProfileFinding {
  const { rule, index } = clearing;
  const path = `rules[${index}]`;
  const named = tableKey(rule.schema, rule.table);
  const by = new Map<string, string[]>();
  for (const fk of refs) {
    const from = tableKey(fk.schema, fk.table);
    by.set(from, [...(by.get(from) ?? []), fk.name]);
  }
  const listed = [...by].map(([from, names]) => `${from} (${names.join(', ')})`);
  const list = listed.length === 1 ? listed[0]! : `${listed.slice(0, -1).join(', ')} and ${listed.at(-1)}`;
  const kept = [...by.keys()].filter(keptWhole);
  const them = kept.length === 1 ? 'it' : 'them';
  const remedy =
    rule.action === 'clear' && rule.cascade && kept.length > 0
      ? `${kept.join(', ')} ${kept.length === 1 ? 'keeps' : 'keep'} the target's rows, which a cascade does not clear: clear ${them} instead, or do not clear ${named}`
      : `clear them too with cascade: true, or do not clear ${named}`;
  const cause = table === named ? '' : ` (a cascade from ${named})`;
  return {
    path,
    message: `profile ${profile.name}: ${path}: ${table} is cleared${cause}, but ${list} ${by.size === 1 ? 'references' : 'reference'} it: ${remedy}`,
  };
}

/** "schema.name" of every table (plain or partitioned) → the leaf tables that hold its rows. */
function leavesByTable(catalog: SourceCatalog): Map<string, string[]> {
  const leaves = new Map<string, string[]>();
  for (const table of catalog.tables) {
    const key = tableKey(table.schema, table.name);
    for (const owner of [{ schema: table.schema, name: table.name }, ...(catalog.relations.ancestors.get(key) ?? [])]) {
      const ownerKey = tableKey(owner.schema, owner.name);
      leaves.set(ownerKey, [...(leaves.get(ownerKey) ?? []), key]);
    }
  }
  return leaves;
}

/** The partitioned table a key is declared on, when `leaf` holds the key through it. */
function parentOf(catalog: SourceCatalog, fk: CatalogForeignKey, leaf: string): TableName | undefined {
  return (catalog.relations.ancestors.get(leaf) ?? []).find((a) => a.schema === fk.schema && a.name === fk.table);
}
