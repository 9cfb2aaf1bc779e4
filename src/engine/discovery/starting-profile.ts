import YAML, { type YAMLMap, type YAMLSeq } from 'yaml';
import { FALLBACK_MASKS, SUGGESTED_MASKS } from '../../domain/discovery/suggested-masks.js';
import type { ColumnEvidence } from '../../domain/discovery/classify-column.js';
import { type MaskInput, type ProfileInput, maskSchema } from '../../domain/profile/profile-schema.js';
import type { DiscoveredColumn, DiscoveredTable } from './discover-database.js';
import { maskFits } from './mask-fits.js';

/**
 * The profile `profile init` writes for a discovered database: coverage: strict, a clear
 * rule for each log-like table nothing references, a mask rule for each table with personal
 * data (the first suggested mask that fits each column), and every other column under
 * `safe`. Each choice carries a YAML comment saying why; the JSON form says the same.
 */
export type Suggestion =
  | { readonly action: 'clear'; readonly why: string }
  | { readonly action: 'mask'; readonly mask: MaskInput; readonly why: string }
  | { readonly action: 'safe'; readonly why: string }
  /** Personal data no transformer fits: listed under safe for now, to be decided by a person. */
  | { readonly action: 'review'; readonly why: string }
  | { readonly action: 'generated'; readonly why: string };

export interface SuggestedColumn extends DiscoveredColumn {
  readonly schema: string;
  readonly table: string;
  readonly suggestion: Suggestion;
}

export interface StartingProfile {
  readonly profile: ProfileInput;
  readonly yaml: string;
  readonly columns: readonly SuggestedColumn[];
  readonly clear: readonly { readonly schema: string; readonly table: string; readonly reason: string }[];
}

/** Evidence in words, counts only (a sampled value is never shown). */
export function describeEvidence(kind: string, evidence: ColumnEvidence): string {
  const parts: string[] = [];
  if (evidence.type) parts.push(`its type is ${evidence.type}`);
  if (evidence.name) parts.push(evidence.name);
  if (evidence.content) parts.push(`${evidence.content.matches} of ${evidence.content.sampled} sampled values look like ${evidence.content.kind}`);
  else if (evidence.sampled > 0) parts.push(`none of ${evidence.sampled} sampled values looks personal`);
  if (parts.length === 0) parts.push('no value to sample');
  return parts.join('; ');
}

function suggest(column: DiscoveredColumn, clearWhy: string | undefined): Suggestion {
  if (clearWhy) return { action: 'clear', why: clearWhy };
  if (column.generated) return { action: 'generated', why: 'generated: the target computes it from the other columns' };
  const why = `${column.kind} (${column.confidence}): ${describeEvidence(column.kind, column.evidence)}`;
  if (column.kind === 'safe') return { action: 'safe', why };
  // A referencing column follows its key: a mask on the key carries over (key-masks.ts), one of its own is refused.
  if (column.references) return { action: 'safe', why: `${why}; a foreign key to ${column.references}, whose mask (if any) carries over to it` };
  for (const mask of [...SUGGESTED_MASKS[column.kind], ...FALLBACK_MASKS]) {
    if (maskFits({ name: column.column, type: column.type, notNull: column.notNull }, maskSchema.parse(mask), column.unique)) return { action: 'mask', mask, why };
  }
  return { action: 'review', why: `REVIEW: ${why}; no transformer fits ${column.type}${column.notNull ? ' NOT NULL' : ''}${column.unique ? ' in a unique key' : ''}` };
}

export function startingProfile(name: string, source: string, tables: readonly DiscoveredTable[]): StartingProfile {
  const columns: SuggestedColumn[] = [];
  const clear: StartingProfile['clear'][number][] = [];
  const rules: NonNullable<ProfileInput['rules']> = [];
  const safe: NonNullable<ProfileInput['safe']> = [];
  const ruleNotes: string[] = [];
  const safeNotes: string[][] = [];
  const maskNotes: string[][] = [];
  for (const table of tables) {
    let clearWhy: string | undefined;
    if (table.logReason && table.referencedBy.length === 0) clearWhy = `looks like a log: ${table.logReason}`;
    const where = table.schema === 'public' ? { table: table.table } : { table: table.table, schema: table.schema };
    const suggested = table.columns.map((c) => ({ ...c, schema: table.schema, table: table.table, suggestion: suggest(c, clearWhy) }));
    columns.push(...suggested);
    if (clearWhy) {
      clear.push({ schema: table.schema, table: table.table, reason: clearWhy });
      rules.push({ action: 'clear', ...where });
      ruleNotes.push(` ${table.schema}.${table.table} ${clearWhy}: a sandbox has no use for it`);
      maskNotes.push([]);
      continue;
    }
    const masked = suggested.filter((c) => c.suggestion.action === 'mask');
    if (masked.length > 0) {
      rules.push({
        action: 'mask',
        ...where,
        columns: Object.fromEntries(masked.map((c) => [c.column, (c.suggestion as Extract<Suggestion, { action: 'mask' }>).mask])),
      });
      const logNote = table.logReason ? ` (it looks like a log, ${table.logReason}, but ${table.referencedBy.join(', ')} reference it: not cleared)` : '';
      ruleNotes.push(` ${table.schema}.${table.table}: personal data${logNote}`);
      maskNotes.push(masked.map((c) => ` ${c.suggestion.why}`));
    }
    const kept = suggested.filter((c) => c.suggestion.action === 'safe' || c.suggestion.action === 'review');
    if (kept.length > 0) {
      safe.push({ ...where, columns: kept.map((c) => c.column) });
      safeNotes.push(kept.filter((c) => c.kind !== 'safe').map((c) => ` ${c.column}: ${c.suggestion.why}`));
    }
  }
  const profile: ProfileInput = {
    name,
    version: 1,
    description: `Starting profile for ${source}, written by dataalm profile init: review every rule before use`,
    coverage: 'strict',
    rules,
    safe,
  };
  return { profile, yaml: profileDocument(profile, source, ruleNotes, maskNotes, safeNotes), columns, clear };
}

function profileDocument(profile: ProfileInput, source: string, ruleNotes: string[], maskNotes: string[][], safeNotes: string[][]): string {
  // Each mask written out in full: no YAML anchors and aliases where two columns share a mask.
  const doc = new YAML.Document(profile, { aliasDuplicateObjects: false });
  doc.commentBefore = [
    ` Written by dataalm profile init from ${source}: a starting point, to be reviewed.`,
    ' Each column was classified from its name, its type and a sample of its values (only',
    ' counts are kept). coverage: strict refuses a refresh while the source has a column this',
    ' profile does not decide: dataalm profile check FILE --against URL lists them.',
  ].join('\n');
  const rules = doc.get('rules') as YAMLSeq<YAMLMap> | undefined;
  rules?.items.forEach((rule, i) => {
    rule.commentBefore = ruleNotes[i];
    const columns = rule.get('columns') as YAMLMap<unknown, YAMLMap> | undefined;
    columns?.items.forEach((pair, j) => {
      pair.value!.flow = true;
      pair.value!.comment = maskNotes[i]?.[j];
    });
  });
  const safe = doc.get('safe') as YAMLSeq<YAMLMap> | undefined;
  if (safe) safe.commentBefore = ' Columns copied as they are: nothing in their names or sampled values looks personal.';
  safe?.items.forEach((entry, i) => {
    (entry.get('columns') as YAMLSeq).flow = true;
    if (safeNotes[i]!.length > 0) entry.commentBefore = safeNotes[i]!.join('\n');
  });
  return doc.toString({ lineWidth: 0 });
}
