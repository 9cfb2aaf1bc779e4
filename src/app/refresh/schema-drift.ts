import type { Environment } from '../../domain/environment.js';
import type { Profile } from '../../domain/profile/profile-schema.js';
import { type SchemaDrift, schemaDrift } from '../../domain/discovery/schema-drift.js';
import { openSession } from '../../adapters/postgres/database-servers.js';
import { lastRefreshColumns, saveRefreshColumns } from '../../adapters/store/refresh-columns.js';
import { readColumnList } from '../../engine/discovery/column-list.js';
import { checkCoverage } from '../../engine/discovery/coverage-check.js';
import type { Runtime } from '../runtime.js';

/**
 * Time a preview spends sampling the source's values; tables left after it are judged by
 * their column names only (profile check samples every table). (Default: 3 s)
 */
const PREVIEW_SAMPLE_MS = 3000;

/** What a refresh preview says of the source's schema: drift since the last refresh, and coverage. */
export interface PreviewSchema {
  /** Undefined when the target was never refreshed (or its source could not be read). */
  readonly drift?: SchemaDrift | undefined;
  readonly coverage?: PreviewCoverage | undefined;
}

export interface PreviewCoverage {
  readonly strict: boolean;
  /** Columns the profile does not decide (schema.table.column), with coverage: strict (else empty). */
  readonly undecided: readonly string[];
  /** Columns copied as they are that look like personal data. */
  readonly unmasked: readonly { readonly column: string; readonly kind: string }[];
}

/**
 * Keeps the source's application columns as the refresh `operationId` finds them (its first
 * step), for the drift the next preview shows; only a refresh that succeeds counts.
 */
export async function recordRefreshColumns(runtime: Runtime, operationId: number, target: string, sourceUrl: string): Promise<void> {
  const session = await openSession(sourceUrl, 'dataalm refresh', { connectMs: 10_000 });
  try {
    await saveRefreshColumns(runtime.pool, operationId, target, await readColumnList(session));
  } finally {
    await session.end().catch(() => {});
  }
}

/** The source's application database against the target's last refresh and its profile. */
export async function previewSchema(runtime: Runtime, source: Environment, target: Environment, profile: Profile | undefined): Promise<PreviewSchema> {
  const url = (await runtime.environments.connectionUrls(source.name)).application;
  if (url === undefined) return {};
  const session = await openSession(url, 'dataalm preview', { connectMs: 5000 });
  try {
    const last = await lastRefreshColumns(runtime.pool, target.name);
    const drift = last && schemaDrift(last.columns, await readColumnList(session), { operation: last.operationId, at: last.takenAt });
    if (!profile) return { drift };
    const report = await checkCoverage(session, profile, { budgetMs: PREVIEW_SAMPLE_MS });
    return {
      drift,
      // Without coverage: strict, columns a profile does not name are simply copied: only the personal-looking ones are news.
      coverage: { strict: report.strict, undecided: report.strict ? report.undecided : [], unmasked: report.unmasked.map((c) => ({ column: c.column, kind: c.kind })) },
    };
  } finally {
    await session.end().catch(() => {});
  }
}
