import { z } from 'zod';
import { DataalmError } from './errors/dataalm-error.js';
import { ENVIRONMENT_TYPES, type NewEnvironment } from './environment.js';
import { BUILT_IN_PROFILE_INPUTS } from './profile/built-in-profiles.js';

/** The profile an environment gets unless another is named. */
export const DEFAULT_PROFILE = 'finance-operations';

const domain = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * The seed's three versions. An environment whose profile carries them (finance-operations)
 * must give all three; any other may give all three or none.
 */
const VERSION_FIELDS = {
  applicationRelease: z.string().regex(/^\d+\.\d+\.\d+$/, 'must look like X.Y.Z, e.g. 10.0.38'),
  platformUpdate: z
    .union([z.number(), z.string()])
    .transform(String)
    .pipe(z.string().regex(/^\d{1,6}$/, 'must be a whole number such as 62'))
    .transform(Number),
  financialReportingVersion: z.string().regex(/^\d+\.\d+\.\d+\.\d+$/, 'must look like X.Y.Z.W, e.g. 10.0.38.3'),
};
const VERSION_NAMES = Object.keys(VERSION_FIELDS) as (keyof typeof VERSION_FIELDS)[];

/** Whether a built-in profile's environments carry the seed's versions (a file's is known once it is read). */
export function builtInCarriesVersions(profile: unknown): boolean {
  return typeof profile === 'string' && Object.hasOwn(BUILT_IN_PROFILE_INPUTS, profile) && BUILT_IN_PROFILE_INPUTS[profile]!.environmentVersions !== undefined;
}

/**
 * The rules for a new environment, field by field. Each message is written to be shown
 * after the field's name, so the person knows which input to fix.
 */
export const newEnvironmentSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lower-case letters, digits or "-", starting with a letter or digit'),
    type: z.enum(ENVIRONMENT_TYPES, { message: 'must be "production" or "sandbox"' }),
    tenant: z.string().toLowerCase().regex(domain, 'must be a domain name such as contoso.com'),
    administrator: z.string().toLowerCase().email('must be an e-mail address such as admin@contoso.com'),
    applicationRelease: VERSION_FIELDS.applicationRelease.optional(),
    platformUpdate: VERSION_FIELDS.platformUpdate.optional(),
    financialReportingVersion: VERSION_FIELDS.financialReportingVersion.optional(),
    retail: z.boolean(),
    profile: z.string().min(1, 'must name a profile or a file'),
    documentStorage: z.string().min(1).nullable(),
    syncCommand: z.string().min(1).nullable(),
    databaseUrls: z.object({ application: z.string(), financialReporting: z.string().optional() }),
  })
  .strict()
  .superRefine((value, ctx) => {
    // A missing version of an environment that needs it gets the message a missing field gets.
    const given = VERSION_NAMES.filter((name) => value[name] !== undefined);
    if (given.length > 0 || builtInCarriesVersions(value.profile)) {
      for (const name of VERSION_NAMES.filter((n) => value[n] === undefined)) {
        const required = VERSION_FIELDS[name].safeParse(undefined).error!.issues[0]!.message;
        const message = builtInCarriesVersions(value.profile) ? required : `must be given with ${given.join(' and ')} (the three versions go together), or none of them`;
        ctx.addIssue({ code: 'custom', path: [name], message });
      }
    }
    // The seed: "the tenant of the environment will be that of the Environment
    // Administrator", so the administrator must belong to the tenant's domain.
    const adminDomain = value.administrator.split('@')[1] ?? '';
    if (adminDomain !== value.tenant && !adminDomain.endsWith(`.${value.tenant}`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['administrator'],
        message: `must belong to the tenant ${value.tenant} (got ${adminDomain})`,
      });
    }
  });

/** Input field → CLI flag, so CLI errors name what the person typed. */
export const FIELD_FLAGS: Record<string, string> = {
  name: 'NAME',
  type: '--type',
  tenant: '--tenant',
  administrator: '--admin',
  applicationRelease: '--release',
  platformUpdate: '--platform-update',
  financialReportingVersion: '--reporting-version',
  profile: '--profile',
  documentStorage: '--storage',
  syncCommand: '--sync-command',
  'databaseUrls.application': '--app-db',
  'databaseUrls.financialReporting': '--reporting-db',
};

/**
 * A new environment from raw input, or INVALID_INPUT naming the first field (and its flag) to
 * fix. `versions`: its profile carries the seed's versions (for a profile file, which only
 * the caller can read). Versions not given are null.
 */
export function parseNewEnvironment(input: unknown, options: { versions?: boolean } = {}): NewEnvironment {
  const parsed = newEnvironmentSchema.safeParse(input);
  if (parsed.success) {
    const value = parsed.data;
    const missing = VERSION_NAMES.find((name) => value[name] === undefined);
    if (options.versions && missing !== undefined) {
      const message = VERSION_FIELDS[missing].safeParse(undefined).error!.issues[0]!.message;
      throw new DataalmError('INVALID_INPUT', `${missing} (${FIELD_FLAGS[missing]}): ${message} (profile ${value.profile} carries the application release, platform update and financial reporting version)`, { field: missing });
    }
    return {
      ...value,
      applicationRelease: value.applicationRelease ?? null,
      platformUpdate: value.platformUpdate ?? null,
      financialReportingVersion: value.financialReportingVersion ?? null,
    };
  }
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.');
  const flag = FIELD_FLAGS[field];
  const label = flag && flag !== 'NAME' ? `${field} (${flag})` : field || 'input';
  throw new DataalmError('INVALID_INPUT', `${label}: ${issue.message}`, { field });
}
