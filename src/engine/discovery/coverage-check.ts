import type { CatalogReader } from '../../adapters/postgres/source-catalog.js';
import { tableKey } from '../../adapters/postgres/source-relations.js';
import type { Profile } from '../../domain/profile/profile-schema.js';
import { type ColumnDecision, columnDecisions } from '../profile-coverage.js';
import { type ProfileFinding, withProfileAgainst } from '../profile-rules.js';
import { classifyCatalog } from './discover-database.js';
import { describeEvidence } from './starting-profile.js';

/**
 * `profile check`: a profile read against a live database, for what coverage is about —
 * columns it leaves undecided, and columns copied as they are (listed safe without a
 * reason, or not named at all) whose name or sampled values look like personal data.
 */
export interface CoverageReport {
  readonly strict: boolean;
  /** Undecided columns, schema.table.column (with coverage: strict they refuse a refresh). */
  readonly undecided: readonly string[];
  /** Copied as they are, yet they look like personal data. */
  readonly unmasked: readonly UnmaskedColumn[];
  /** What else of the profile does not fit the database (profile validate --against). */
  readonly findings: readonly ProfileFinding[];
  /** How many columns the source has, and how many the profile decides. */
  readonly columns: number;
  readonly decided: number;
}

export interface UnmaskedColumn {
  readonly column: string;
  readonly kind: string;
  readonly confidence: string;
  readonly decision: ColumnDecision;
  /** Why it looks personal, in words (counts only). */
  readonly evidence: string;
}

/** In one read-only snapshot of the source: its catalog, and a sample of the columns copied as they are. */
export async function checkCoverage(session: CatalogReader, profile: Profile, options: { readonly budgetMs?: number } = {}): Promise<CoverageReport> {
  return withProfileAgainst(session, profile, async (catalog, resolved) => {
    const decisions = columnDecisions(catalog, profile, resolved.rules, resolved.keyMasks);
    // A safe entry with a reason is a person's decision; anything else copied as is gets looked at.
    const asIs = new Map(
      decisions
        .filter((d) => d.decision === 'undecided' || (d.decision === 'safe' && d.reason === undefined))
        .map((d) => [`${tableKey(d.schema, d.table)}.${d.column}`, d.decision]),
    );
    const tables = await classifyCatalog(session, catalog, (schema, table, column) => asIs.has(`${tableKey(schema, table)}.${column}`), options);
    const unmasked = tables.flatMap((t) =>
      t.columns
        .filter((c) => c.kind !== 'safe' && !c.generated)
        .map((c) => {
          const column = `${tableKey(t.schema, t.table)}.${c.column}`;
          return { column, kind: c.kind, confidence: c.confidence, decision: asIs.get(column)!, evidence: describeEvidence(c.kind, c.evidence) };
        }),
    );
    const undecided = decisions.filter((d) => d.decision === 'undecided').map((d) => `${tableKey(d.schema, d.table)}.${d.column}`);
    return {
      strict: profile.coverage === 'strict',
      undecided,
      unmasked,
      findings: resolved.findings.filter((f) => f.code === undefined),
      columns: decisions.length,
      decided: decisions.length - undecided.length,
    };
  });
}
