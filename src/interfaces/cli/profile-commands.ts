import type { Command } from 'commander';
import { ERROR_CODES } from '../../domain/errors/dataalm-error.js';
import { TRANSFORMER_CATALOG } from '../../domain/profile/transformer-catalog.js';
import { loadProfile, loadProfileFile, profileYaml } from '../../app/copy-service.js';
import { describeUrl, profileFindingsAt } from '../../app/profile-service.js';
import { printJson, reportError } from './command-context.js';
import { registerDiscoveryCommands } from './profile-discovery-commands.js';

/** `dataalm profile …`: read, check and write refresh profiles. */
export function registerProfileCommands(program: Command): void {
  const profile = program.command('profile').description('refresh profiles: what is cleared, kept, masked and sanitised');
  profile
    .command('show')
    .description('print a profile (built-in name or file) as YAML')
    .argument('<name|file>', 'plain, finance-operations, or a profile file')
    .option('--json', 'print JSON instead')
    .action((name: string, o: { json?: boolean }) => {
      try {
        const loaded = loadProfile(name);
        if (o.json) printJson(loaded);
        else process.stdout.write(profileYaml(loaded));
      } catch (error) {
        reportError(error, o);
      }
    });
  profile
    .command('validate')
    .description('check a profile file against the profile schema, and with --against, against a live database')
    .argument('<file>', 'YAML or JSON profile')
    .option('--against <url>', "a database the profile is meant for (e.g. production's): every table, column and rule need is checked")
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { against?: string; json?: boolean }) => {
      try {
        const loaded = loadProfileFile(file);
        const findings = o.against === undefined ? [] : await profileFindingsAt(o.against, loaded);
        const counts = { rules: loaded.rules.length, sanitize: loaded.sanitize.length };
        if (o.json) printJson({ valid: findings.length === 0, name: loaded.name, ...counts, findings });
        else if (findings.length === 0) {
          const against = o.against === undefined ? '' : `; it fits ${describeUrl(o.against)}`;
          process.stdout.write(`${file}: valid profile "${loaded.name}" (${counts.rules} rules, ${counts.sanitize} sanitize statements)${against}\n`);
        } else {
          process.stdout.write(`${file}: profile "${loaded.name}" does not fit ${describeUrl(o.against!)}:\n${findings.map((f) => `  - ${f.message}\n`).join('')}`);
        }
        if (findings.length > 0) process.exitCode = ERROR_CODES.INVALID_INPUT.exit;
      } catch (error) {
        reportError(error, o);
      }
    });
  registerDiscoveryCommands(profile);
  profile
    .command('transformers')
    .description('list the mask transformers, their parameters and an example of each')
    .option('--json', 'print JSON instead')
    .action((o: { json?: boolean }) => {
      const transformers = TRANSFORMER_CATALOG.map((t) => ({
        name: t.name,
        description: t.description,
        parameters: t.parameters,
        example: { input: t.example.input, output: t.example.output },
      }));
      if (o.json) printJson({ transformers });
      else process.stdout.write(transformersText());
    });
}

/** One block per transformer: name and description, parameters, example. */
function transformersText(): string {
  const blocks = TRANSFORMER_CATALOG.map((t) => {
    const lines = [`${t.name}: ${t.description}`];
    for (const p of t.parameters) lines.push(`  ${p.name}${p.required ? '' : ' (optional)'}: ${p.description}`);
    const { transformer: _, ...parameters } = t.example.mask as Record<string, unknown>;
    const given = Object.keys(parameters).length > 0 ? ` with ${JSON.stringify(parameters)}` : '';
    lines.push(`  example${given}: ${JSON.stringify(t.example.input)} → ${JSON.stringify(t.example.output)}`);
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}
