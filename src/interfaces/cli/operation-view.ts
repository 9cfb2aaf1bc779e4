import { logText } from '../../app/refresh/log-text.js';
import type { Breadcrumb, Operation, RefreshPreview } from '../../contract/index.js';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

function what(o: Operation): string {
  if (o.kind === 'apply') return `apply package ${String(o.options.package)} (${String(o.options.packageName)}) → ${o.environment}`;
  return o.kind === 'refresh' ? `refresh ${o.source ?? '?'} → ${o.environment}` : `restore ${o.environment} to before operation ${o.restoresOperation}`;
}

export function operationTable(operations: readonly Operation[]): string {
  if (operations.length === 0) return 'No operations yet. Start one with `dataalm refresh --source S --target T`.\n';
  return table(
    ['ID', 'KIND', 'TARGET', 'SOURCE / PACKAGE', 'STATE', 'REQUESTED', 'OFFLINE'],
    operations.map((o) => [
      String(o.id),
      o.kind,
      o.environment,
      o.kind === 'apply' ? `package ${String(o.options.package)}` : (o.source ?? '-'),
      o.state,
      o.requestedAt.replace(/\.\d+Z$/, 'Z'),
      o.offlineMs === null ? '-' : `${o.offlineMs} ms`,
    ]),
  );
}

function seconds(from: string | null, to: string | null): string {
  if (from === null || to === null) return '';
  return `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s`;
}

export function operationDetails(o: Operation): string {
  const lines = [
    `Operation ${o.id}: ${what(o)} (${o.state})`,
    `  requested     ${o.requestedAt} by ${o.requestedBy}`,
    `  started       ${o.startedAt ?? '-'}`,
    `  finished      ${o.finishedAt ?? '-'}`,
  ];
  if (o.kind === 'apply') {
    lines.push(`  package       ${String(o.options.package)}: ${String(o.options.packageName)} ${String(o.options.packageVersion)} (${String(o.options.packageKind)})`);
    const changes = (o.steps.find((s) => s.name === 'versions')?.counters.changes ?? []) as { field: string; from: string | null; to: string }[];
    for (const c of changes) lines.push(`  version       ${c.field}: ${c.from ?? '-'} → ${c.to}`);
  } else {
    lines.push(`  offline       ${o.offlineMs === null ? '-' : `${o.offlineMs} ms (cutover at ${o.cutoverAt})`}`);
    const data = o.steps.find((s) => s.name === 'data')?.counters as { method?: string; lagBytes?: number; dataFrom?: string | null; fileCopy?: string } | undefined;
    if (data?.method === 'mirror') {
      lines.push(`  method        ${data.fileCopy === 'spare' ? "taken from the mirror's spare, nothing copied" : 'cloned from the mirror'} (${mib(data.lagBytes ?? 0)} behind when paused; data as of ${data.dataFrom ?? 'an unknown moment'})`);
    } else if (data?.method === 'copy') lines.push('  method        copy');
  }
  for (const [role, d] of Object.entries(o.databases)) {
    const from = o.kind === 'restore' ? `restored from ${d.staging}` : `staging ${d.staging}`;
    lines.push(`  ${role.padEnd(13)} ${d.database} (${from}, previous kept as ${d.breadcrumb})`);
  }
  lines.push('  steps');
  for (const step of o.steps) {
    const counters = step.counters as { rows?: number; bytes?: number };
    const extra = step.name === 'data' && counters.rows !== undefined ? `  ${counters.rows} rows, ${((counters.bytes ?? 0) / 1048576).toFixed(1)} MiB` : '';
    lines.push(`    ${String(step.position).padStart(2)} ${step.name.padEnd(12)} ${step.status.padEnd(10)} ${seconds(step.startedAt, step.finishedAt).padStart(7)}${extra}`);
  }
  if (o.verification) {
    const passed = o.verification.checks.filter((c) => c.status === 'passed').length;
    lines.push(`  verification report: ${o.verification.passed ? 'passed' : 'FAILED'} (${passed} of ${o.verification.checks.length} checks passed)`);
    for (const check of o.verification.checks) lines.push(`    ${check.status.padEnd(6)} ${check.rule}: ${check.detail}`);
  }
  if (o.error) {
    lines.push(`  error         ${o.error.code}${o.error.step ? ` at step ${o.error.step}` : ''}: ${o.error.message}`);
    if (o.error.remedy) lines.push(`  remedy        ${o.error.remedy}`);
  }
  if (o.state === 'failed' && o.kind !== 'apply') lines.push(`  rollback      dataalm op rollback ${o.id}`);
  return `${lines.join('\n')}\n`;
}


export function breadcrumbTable(crumbs: readonly Breadcrumb[]): string {
  if (crumbs.length === 0) return 'No breadcrumbs.\n';
  return table(
    ['OPERATION', 'DATABASE', 'BREADCRUMB', 'STATE', 'EXPIRES'],
    crumbs.map((c) => [String(c.operationId), c.replaced, c.database, c.state, c.expiresAt.replace(/\.\d+Z$/, 'Z')]),
  );
}

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;

export function previewText(p: RefreshPreview): string {
  const env = (e: RefreshPreview['source']) =>
    e
      ? `${e.name} (${e.type}, tenant ${e.tenant}${e.applicationRelease === undefined ? '' : `, release ${e.applicationRelease}, platform update ${e.platformUpdate}${e.databases.includes('financialReporting') ? `, financial reporting ${e.financialReportingVersion}` : ''}`})`
      : '-';
  const size = p.estimate ? `${(p.estimate.bytes / 1048576).toFixed(0)} MiB, about ${p.estimate.seconds} s` : 'unknown';
  const lines = [
    `Refresh of ${p.target?.name ?? '?'} from ${p.source?.name ?? '?'}`,
    `  source          ${env(p.source)}`,
    `  target          ${env(p.target)}`,
    ...(p.administrator === undefined ? [] : [`  becomes Admin   ${p.administrator}`]),
    `  profile         ${p.profile ?? '-'}`,
    ...(p.schemaVersion ? [`  schema version  ${p.schemaVersion.source ?? '?'} (source), ${p.schemaVersion.target ?? '?'} (target)`] : []),
    `  estimate        ${size}`,
    `  method          ${p.method === 'mirror' ? `cloned from the target's mirror (${p.mirror?.lagBytes === null || p.mirror?.lagBytes === undefined ? 'lag unknown' : `${mib(p.mirror.lagBytes)} behind`}; data from the moment the refresh starts)` : `copy${p.mirror?.reason ? ` (the mirror is not used: ${p.mirror.reason})` : ''}`}`,
    '',
    'Database roles (source → target):',
    ...(p.roles.length === 0 ? ['  -'] : p.roles.map((r) => `  ${r.source} → ${r.target}${r.exists ? '' : ' (missing on the target server)'}`)),
    '',
    'Data elements that are not copied:',
    ...p.notCopied.flatMap((n) => [
      `  - ${n.element}`,
      ...(n.partitions ? [`      in each partition: ${n.partitions.join(', ')}`] : []),
      ...(n.cascaded ? [`      cleared too (they reference it): ${n.cascaded.join(', ')}`] : []),
    ]),
    ...p.afterwards.map((a) => `  - ${a}`),
    '',
    'Warnings:',
    ...p.warnings.map((w) => `  ! ${w}`),
    `  ! ${p.notice}`,
    '',
    ...schemaLines(p),
  ];
  return `${lines.join('\n')}\n`;
}

/** The profile's coverage of the source and the schema drift since the target's last refresh. */
function schemaLines(p: RefreshPreview): string[] {
  const lines: string[] = [];
  const { coverage, drift } = p;
  if (coverage) {
    lines.push(`Coverage of the source${coverage.strict ? ' (coverage: strict)' : ''}:`);
    if (coverage.undecided.length === 0 && coverage.unmasked.length === 0) lines.push('  every column decided; none copied unmasked looks personal');
    lines.push(...coverage.undecided.map((c) => `  undecided: ${c}`), ...coverage.unmasked.map((c) => `  unmasked, looks like ${c.kind}: ${c.column}`), '');
  }
  if (drift) {
    const changes = [
      ...drift.addedTables.map((t) => `  + table ${t}`),
      ...drift.removedTables.map((t) => `  - table ${t}`),
      ...drift.addedColumns.map((c) => `  + ${c}`),
      ...drift.removedColumns.map((c) => `  - ${c}`),
      ...drift.changedColumns.map((c) => `  ~ ${c.column}: ${c.from} → ${c.to}`),
    ];
    lines.push(`Schema changes in the source since the last refresh (operation ${drift.since.operation}):`, ...(changes.length > 0 ? changes : ['  none']), '');
  }
  return lines;
}

export { logText };
