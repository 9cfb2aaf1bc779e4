import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { parseByteSize } from '../../domain/units.js';
import { MISSING_ROLE_POLICIES, type MissingRolePolicy } from '../../domain/profile/profile-schema.js';
import { type CopyEvent, type CopyResult, copyLiveDatabase, dropCopy } from '../../app/copy-service.js';
import { STOP_SIGNALS, configOrExit, printJson, reportError } from './command-context.js';
import { ProgressReporter, showDataProgress } from './progress-reporter.js';

interface CopyFlags {
  from: string;
  to: string;
  profile: string;
  keepFrom?: string;
  jobs: string;
  verify: 'counts' | 'checksums';
  splitTablesLargerThan?: string;
  roleMap: string[];
  missingRoles?: MissingRolePolicy;
  json?: boolean;
}

/** "--role-map a=b" (repeatable) as { a: 'b' }. */
function parseRoleMap(pairs: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1 || at === pair.length - 1) {
      throw new DataalmError('INVALID_INPUT', `role-map (--role-map): "${pair}" must be source_role=target_role`, { field: 'roleMap' });
    }
    map[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return map;
}

/** "128MiB", "64KiB", "1GiB" (or 128MB, 64kB: every unit counts in 1024s) or plain bytes. */
function parseSize(text: string): number {
  const bytes = parseByteSize(text);
  if (bytes === undefined) {
    throw new DataalmError('INVALID_INPUT', `split-tables-larger-than (--split-tables-larger-than): "${text}" must be a size such as 128MiB`, {
      field: 'splitTablesLargerThan',
    });
  }
  // Smaller parts only add tasks (one per part, all planned up front) without more speed.
  if (bytes < 64 * 1024) {
    throw new DataalmError('INVALID_INPUT', 'split-tables-larger-than (--split-tables-larger-than): must be at least 64KiB', {
      field: 'splitTablesLargerThan',
    });
  }
  return bytes;
}

export function registerCopyCommands(program: Command): void {
  program
    .command('copy')
    .description('copy a live database into a new one from one consistent snapshot, applying a refresh profile')
    .requiredOption('--from <url>', 'source database (read only, stays online)')
    .requiredOption('--to <url>', 'database to create (must not exist yet; removed again if the copy fails)')
    .option('--profile <name|file>', 'refresh profile: plain, finance-operations or a YAML/JSON file', 'plain')
    .option('--keep-from <url>', "the target environment's current database: keep-target rows and columns come from it")
    .option('--jobs <N>', 'parallel workers for data and indexes', String(Math.max(2, os.availableParallelism())))
    .option('--split-tables-larger-than <size>', 'copy bigger tables in parts of this size, side by side; masked tables count as bigger (default: tables above half of total size / jobs)')
    .option('--role-map <source=target>', "a source role's name on the target server (repeatable; adds to the profile's roles)", (v: string, all: string[]) => [...all, v], [])
    .addOption(new Option('--missing-roles <policy>', "roles missing on the target server: refuse, create (NOLOGIN) or target-user (default: the profile's missingRoles, refuse)").choices([...MISSING_ROLE_POLICIES]))
    .addOption(new Option('--verify <what>', 'check row counts, or counts and content checksums').choices(['counts', 'checksums']).default('counts'))
    .option('--json', 'newline-delimited JSON progress events, then the result')
    .action(async (flags: CopyFlags) => {
      const config = configOrExit(flags);
      if (!config) return;
      const jobs = Number(flags.jobs);
      let createdTarget = false;
      const progress = new ProgressReporter({ enabled: !flags.json });
      // The schema archive lives here; removed on every way out, an interrupt included.
      const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-copy-'));
      const onSignal = (signal: NodeJS.Signals) => {
        process.stderr.write(`\ndataalm: ${signal} received, removing the half-made copy\n`);
        fs.rmSync(workDir, { recursive: true, force: true });
        const status = signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143;
        void (createdTarget ? dropCopy(flags.to) : Promise.resolve()).finally(() => process.exit(status));
      };
      for (const signal of STOP_SIGNALS) process.once(signal, onSignal);
      try {
        const result = await copyLiveDatabase(config, {
          from: flags.from,
          to: flags.to,
          keepFrom: flags.keepFrom,
          profile: flags.profile,
          jobs,
          verify: flags.verify,
          splitBytes: flags.splitTablesLargerThan === undefined ? undefined : parseSize(flags.splitTablesLargerThan),
          roles: parseRoleMap(flags.roleMap),
          missingRoles: flags.missingRoles,
          workDir,
          onEvent: (event) => {
            if (event.type === 'phase' && event.phase === 'schema' && event.status === 'started') createdTarget = true;
            if (flags.json) process.stdout.write(`${JSON.stringify(event)}\n`);
            else showEvent(progress, event);
          },
        });
        progress.finish();
        // Peak memory of this process: the copy streams, so it stays flat whatever the size.
        const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
        if (flags.json) process.stdout.write(`${JSON.stringify({ type: 'result', ...result, peakRssMiB })}\n`);
        else process.stdout.write(summary(result, peakRssMiB));
      } catch (error) {
        progress.finish();
        reportError(error, flags);
      } finally {
        fs.rmSync(workDir, { recursive: true, force: true });
        for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
      }
    });
}

function showEvent(progress: ProgressReporter, event: CopyEvent): void {
  if (event.type === 'warning') process.stderr.write(`dataalm: warning: ${event.message}\n`);
  if (event.type === 'phase' && event.status === 'started' && event.phase !== 'data') progress.step(`${event.phase}…`);
  if (event.type === 'progress') showDataProgress(progress, event);
}

function summary(result: CopyResult, peakRssMiB: number): string {
  const s = result.seconds;
  return [
    `Copied into ${result.database} with profile ${result.profile}: ${result.tables} tables, ${result.rows.toLocaleString('en')} rows, ${(result.bytes / 1048576).toFixed(1)} MiB; ${result.verified} verified.`,
    `Seconds: preflight ${s.preflight}, schema ${s.schema}, data ${s.data}, keep ${s.keep}, constraints ${s.constraints}, verify ${s.verify}, total ${s.total}. Peak memory ${peakRssMiB} MiB.`,
    '',
  ].join('\n');
}
