import type { Environment, HistoryEntry } from '../../contract/index.js';

/** The JSON shape of an environment for scripts and the HTTP API: never a secret. */
export function environmentJson(environment: Environment, history?: readonly HistoryEntry[]): Record<string, unknown> {
  return history === undefined ? { ...environment } : { ...environment, history };
}

export function environmentTable(environments: readonly Environment[]): string {
  const header = ['NAME', 'TYPE', 'TENANT', 'RELEASE', 'PLATFORM', 'REPORTING', 'STATE'];
  const rows = environments.map((e) => [
    e.name,
    e.type,
    e.tenant,
    e.applicationRelease ?? '-',
    e.platformUpdate === null ? '-' : String(e.platformUpdate),
    e.financialReportingVersion ?? '-',
    e.state,
  ]);
  if (rows.length === 0) return 'No environments. Add one with `dataalm env add`, or create the demo with `dataalm demo`.\n';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export function environmentDetails(
  e: Environment,
  history: readonly HistoryEntry[],
  versions?: { components: readonly { name: string; version: string }[] },
  installers: readonly string[] = [],
): string {
  const lines = [
    `${e.name} (${e.type}, ${e.state})`,
    `  tenant                       ${e.tenant}`,
    `  administrator                ${e.administrator}`,
    // An application without the seed's versions shows none (its schema version is among the detailed versions).
    ...(e.applicationRelease === null
      ? []
      : [
          `  application release          ${e.applicationRelease}`,
          `  platform update              ${e.platformUpdate}`,
          `  financial reporting version  ${e.financialReportingVersion}`,
        ]),
    `  retail                       ${e.retail ? `yes (after a refresh the reprovisioning tool ${e.autoReprovision ? 'runs as the post step' : 'is left to a person'})` : 'no'}`,
    `  refresh profile              ${e.profile}`,
    `  document storage             ${e.documentStorage ?? '-'}`,
    `  synchronize command          ${e.syncCommand ?? '-'}`,
    ...(versions ? ['  detailed version information', ...versions.components.map((c) => `    ${c.name.padEnd(44)} ${c.version}`)] : []),
    ...(e.retail ? [`  self-service installers      ${installers.length > 0 ? installers.join(', ') : 'none in document storage'}`] : []),
    ...(e.pendingActions.length > 0
      ? ['  pending actions', ...e.pendingActions.flatMap((a) => [`    ${a.code}: ${a.message}`, `      remedy: ${a.remedy}`])]
      : []),
    '  databases',
    ...e.databases.map((d) => `    ${d.role.padEnd(20)} ${d.database} on ${d.host}:${d.port} as ${d.user}`),
    '  history',
    ...history.map((h) => `    ${h.at}  ${h.event}`),
  ];
  return `${lines.join('\n')}\n`;
}
