import fs from 'node:fs';
import type { Command } from 'commander';
import { DataalmError, ERROR_CODES } from '../../domain/errors/dataalm-error.js';
import { loadProfileFile } from '../../app/copy-service.js';
import { type CoverageReport, type StartingProfile, checkProfileCoverage, coverageProblems, initProfile } from '../../app/discovery-service.js';
import { describeUrl } from '../../app/profile-service.js';
import { printJson, reportError } from './command-context.js';

/** `dataalm profile init` and `dataalm profile check`: discovery and the coverage gate. */
export function registerDiscoveryCommands(profile: Command): void {
  profile
    .command('init')
    .description('write a starting profile for a live database: each column classified as personal data (with a mask) or safe, log tables cleared')
    .requiredOption('--from <url>', 'the database to classify (e.g. production; it is only read, in one read-only snapshot)')
    .option('-o, --output <file>', 'write the profile to this file (default: print it)')
    .option('--force', 'overwrite --output if it exists')
    .option('--json', 'print the classification and the profile as JSON')
    .action(async (o: { from: string; output?: string; force?: boolean; json?: boolean }) => {
      try {
        if (o.output !== undefined && !o.force && fs.existsSync(o.output)) {
          throw new DataalmError('ALREADY_EXISTS', `output (--output): ${o.output} already exists`, { field: 'output', remedy: 'choose another file, or add --force to overwrite it' });
        }
        const found = await initProfile(o.from);
        if (o.output !== undefined) fs.writeFileSync(o.output, found.yaml);
        if (o.json) printJson(initJson(found, o.output));
        else if (o.output === undefined) process.stdout.write(found.yaml);
        if (!o.json) process.stderr.write(initSummary(found, o.output));
      } catch (error) {
        reportError(error, o);
      }
    });
  profile
    .command('check')
    .description('list the columns a profile leaves undecided and the personal-looking columns it copies unmasked; exits 12 when there is any')
    .argument('<file>', 'YAML or JSON profile')
    .requiredOption('--against <url>', 'the database the profile is for (e.g. production\'s); it is only read')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { against: string; json?: boolean }) => {
      try {
        const loaded = loadProfileFile(file);
        const report = await checkProfileCoverage(o.against, loaded);
        const problems = coverageProblems(report);
        if (o.json) printJson({ ok: problems === 0, name: loaded.name, ...report });
        else process.stdout.write(checkText(file, loaded.name, describeUrl(o.against), report));
        if (problems > 0) process.exitCode = ERROR_CODES.REFUSED.exit;
      } catch (error) {
        reportError(error, o);
      }
    });
}

function initJson(found: StartingProfile & { source: string }, file: string | undefined) {
  return {
    source: found.source,
    ...(file === undefined ? {} : { file }),
    columns: found.columns.map((c) => ({
      table: `${c.schema}.${c.table}`,
      column: c.column,
      type: c.type,
      kind: c.kind,
      confidence: c.confidence,
      evidence: c.evidence,
      suggestion: c.suggestion,
    })),
    clear: found.clear,
    profile: found.profile,
  };
}

function initSummary(found: StartingProfile & { source: string }, file: string | undefined): string {
  const count = (action: string) => found.columns.filter((c) => c.suggestion.action === action).length;
  const review = count('review');
  return [
    `${file === undefined ? 'profile' : `wrote ${file}: profile`} "${found.profile.name}" for ${found.source}: ${found.columns.length} columns;`,
    ` ${count('mask')} masked, ${found.clear.length} table(s) cleared (${count('clear')} columns), ${count('safe')} safe`,
    review > 0 ? `, ${review} to review (personal data no transformer fits: listed under safe, marked REVIEW)` : '',
    '\n',
  ].join('');
}

function checkText(file: string, name: string, against: string, report: CoverageReport): string {
  const lines = [`${file}: profile "${name}" against ${against}: ${report.decided} of ${report.columns} columns decided${report.strict ? ' (coverage: strict)' : ''}`];
  if (report.undecided.length > 0) {
    lines.push(`undecided (mask them, clear or keep their table, or list them under safe):`, ...report.undecided.map((c) => `  - ${c}`));
  }
  if (report.unmasked.length > 0) {
    lines.push(
      'copied unmasked, and they look like personal data (mask them, or give their safe entry a reason):',
      ...report.unmasked.map((c) => `  - ${c.column}: ${c.kind} (${c.confidence}; ${c.evidence})`),
    );
  }
  if (report.findings.length > 0) lines.push('does not fit the database:', ...report.findings.map((f) => `  - ${f.message}`));
  if (coverageProblems(report) === 0) lines.push('every column is decided, and none copied unmasked looks like personal data');
  return `${lines.join('\n')}\n`;
}
