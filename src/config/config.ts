import { FAULT_POINTS } from '../domain/faults.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import { DEFAULT_MIN_PLATFORM_UPDATE } from '../domain/refresh-rules.js';
import { parseByteSize } from '../domain/mirror.js';

/**
 * One schema for every setting; each comes from one environment variable. Read once at
 * startup, validated, frozen. Unknown `DATAALM_*` variables are refused so a typo is not
 * silently ignored (variables starting with `DATAALM_TEST_` belong to the test suite).
 */
const portSchema = z.coerce.number().int().min(1).max(65535);

const configSchema = z
  .object({
    /**
     * Folder for the embedded server, key file and document storage. (Default: `./.dataalm`
     * when the current folder has one, else `~/.dataalm`: see chooseHome)
     */
    DATAALM_HOME: z.string().min(1).optional(),
    /** Control database on an existing server instead of the embedded one. (Default: unset) */
    DATAALM_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /** HTTP port of `dataalm start`. (Default: 4280) */
    DATAALM_PORT: portSchema.default(4280),
    /** HTTP listen address. (Default: `127.0.0.1`, loopback only) */
    DATAALM_HOST: z.string().min(1).default('127.0.0.1'),
    /** Port of the embedded PostgreSQL server. (Default: a free port chosen at first start, then kept) */
    DATAALM_PG_PORT: portSchema.optional(),
    /** OS user that runs the embedded server when dataalm runs as root. (Default: `postgres`) */
    DATAALM_PG_USER: z.string().regex(/^[a-z_][a-z0-9_-]*$/, 'must be a system user name').optional(),
    /** Key that encrypts connection secrets at rest. (Default: generated into `$DATAALM_HOME/secret.key`) */
    DATAALM_SECRET_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Scale of the demo project's sample data; 1 is about 1 GiB per environment. (Default: 0.01) */
    DATAALM_DEMO_SCALE: z.coerce.number().positive().max(100).default(0.01),
    /** Create the demo project on the first start of the embedded default. (Default: true) */
    DATAALM_DEMO: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    /** Folder holding pg_dump and pg_restore. (Default: PATH, then /usr/lib/postgresql/<newest>/bin) */
    DATAALM_PG_BIN: z.string().min(1).optional(),
    /** How long a refresh keeps the target's previous databases (breadcrumbs): `7d`, `12h`, `30m`, `90s`. (Default: `7d`) */
    DATAALM_BREADCRUMB_RETENTION: z
      .string()
      .regex(/^\d{1,6}[smhd]$/, 'must be a number and a unit: 7d, 12h, 30m or 90s')
      .default('7d')
      .transform((v) => Number(v.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86400 }[v.slice(-1) as 's' | 'm' | 'h' | 'd']),
    /**
     * A mirror's lag limit: source WAL its replication slot may hold. Past half of it the
     * mirror is warned about; past it, the mirror is dropped so the source's disk does not
     * fill. `env mirror enable --max-lag` sets it per mirror. (Default: `1GiB`)
     */
    DATAALM_MIRROR_MAX_LAG: z
      .string()
      .regex(/^\d+(\.\d+)?\s*(B|KiB|MiB|GiB|TiB)?$/i, 'must be a size such as 512MiB or 2GiB')
      .default('1GiB')
      .transform((v) => parseByteSize(v)!),
    /** How long a refresh from a mirror waits for it to catch up with the source before pausing it. (Default: 30) */
    DATAALM_MIRROR_CATCH_UP_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
    /** How often the service checks its mirrors' lag, and resumes one a crashed refresh left paused. (Default: 30) */
    DATAALM_MIRROR_CHECK_SECONDS: z.coerce.number().int().min(1).max(86400).default(30),
    /** Lowest platform update a refresh accepts. (Default: 21; the seed refuses update 20 and earlier) */
    DATAALM_MIN_PLATFORM_UPDATE: z.coerce.number().int().min(0).default(DEFAULT_MIN_PLATFORM_UPDATE),
    /** Password of the first project owner, `admin`, created on the first start. (Default: generated and printed once) */
    DATAALM_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(200).optional(),
    /** Behind a reverse proxy: take the client's address, host and scheme from X-Forwarded-* headers. (Default: false) */
    DATAALM_TRUST_PROXY: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    /**
     * Seconds an operation's runner may be silent before a worker takes the operation over.
     * (Default: 60; runners write a heartbeat every lease/4 s, at most every 5 s)
     */
    DATAALM_LEASE_SECONDS: z.coerce.number().int().min(2).max(3600).default(60),
    /** Operations one worker runs at once. (Default: 2) */
    DATAALM_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
    /**
     * SMTP server that sends e-mail notifications: `smtp://[user:password@]host[:port]` or
     * `smtps://…`. Without it, e-mail subscriptions are refused. (Default: unset)
     */
    DATAALM_SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\/[^/\s]+\/?$/, 'must be an smtp:// or smtps:// URL such as smtp://user:password@mail.example.com:587')
      .optional(),
    /** Sender address of e-mail notifications. (Default: `dataalm@<host name>`) */
    DATAALM_SMTP_FROM: z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'must be an e-mail address such as dataalm@example.com').optional(),
    /** For tests: exit hard at this point of an operation (see docs/errors.md). Not a setting. */
    DATAALM_FAULT: z.enum(FAULT_POINTS).optional(),
    /** The CLI acts on this remote dataalm instead of the local project (same as --server). */
    DATAALM_SERVER: z.string().url('must be a URL such as http://dataalm.example:4280').optional(),
    /** API token for --server / DATAALM_SERVER (dataalm token create). */
    DATAALM_TOKEN: z.string().min(1).optional(),
    /** Set by dataalm for a synchronize command: the staging application database. Not a setting. */
    DATAALM_SYNC_DATABASE_URL: z.string().optional(),
    /** Set by dataalm for a synchronize command: the staging financial reporting database. Not a setting. */
    DATAALM_SYNC_REPORTING_DATABASE_URL: z.string().optional(),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;

/**
 * Where the home came from: DATAALM_HOME (`setting`), the current folder's `.dataalm`
 * (`folder`), or the user's default `~/.dataalm` (`user`).
 */
export type HomeOrigin = 'setting' | 'folder' | 'user';

/** The home's folder name, in the current folder or the user's home folder. */
export const HOME_FOLDER = '.dataalm';

/**
 * One project per machine by default. DATAALM_HOME, when set, is the home (relative to the
 * current folder). Otherwise a `.dataalm` in the current folder is used when there is one (a
 * project made there by an earlier version stays where it is); else `~/.dataalm`, the
 * user's one project: every command, from any folder, finds the service that runs on it.
 */
export function chooseHome(setting: string | undefined, cwd: string, userHome: string): { readonly home: string; readonly origin: HomeOrigin } {
  if (setting !== undefined) return { home: path.resolve(cwd, setting), origin: 'setting' };
  const here = path.resolve(cwd, HOME_FOLDER);
  if (fs.existsSync(here)) return { home: here, origin: 'folder' };
  return { home: path.resolve(userHome, HOME_FOLDER), origin: 'user' };
}

export interface Config {
  readonly home: string;
  /** How `home` was chosen (see chooseHome). */
  readonly homeOrigin: HomeOrigin;
  readonly databaseUrl: string | undefined;
  readonly httpPort: number;
  readonly httpHost: string;
  readonly adminPassword: string | undefined;
  readonly trustProxy: boolean;
  readonly leaseSeconds: number;
  readonly workerConcurrency: number;
  readonly server: string | undefined;
  readonly token: string | undefined;
  readonly embeddedPort: number | undefined;
  readonly embeddedUser: string | undefined;
  readonly secretKey: string | undefined;
  readonly demoScale: number;
  readonly demo: boolean;
  readonly pgBin: string | undefined;
  readonly breadcrumbRetentionSeconds: number;
  readonly minPlatformUpdate: number;
  readonly mirrorMaxLagBytes: number;
  readonly mirrorCatchUpSeconds: number;
  readonly mirrorCheckSeconds: number;
  readonly smtpUrl: string | undefined;
  readonly smtpFrom: string | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(
      ([key, value]) => key.startsWith('DATAALM_') && !key.startsWith('DATAALM_TEST_') && value !== '',
    ),
  );
  const parsed = configSchema.safeParse(relevant);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
    const message =
      issue.code === 'unrecognized_keys' ? `unknown setting ${key}` : `setting ${key}: ${issue.message}`;
    throw new DataalmError('CONFIGURATION', message, {
      field: key,
      remedy: 'see the configuration table in README.md',
    });
  }
  const raw = parsed.data;
  const { home, origin } = chooseHome(raw.DATAALM_HOME, cwd, env.HOME || os.homedir());
  return Object.freeze({
    home,
    homeOrigin: origin,
    databaseUrl: raw.DATAALM_DATABASE_URL,
    httpPort: raw.DATAALM_PORT,
    httpHost: raw.DATAALM_HOST,
    adminPassword: raw.DATAALM_ADMIN_PASSWORD,
    trustProxy: raw.DATAALM_TRUST_PROXY,
    leaseSeconds: raw.DATAALM_LEASE_SECONDS,
    workerConcurrency: raw.DATAALM_WORKER_CONCURRENCY,
    server: raw.DATAALM_SERVER,
    token: raw.DATAALM_TOKEN,
    embeddedPort: raw.DATAALM_PG_PORT,
    embeddedUser: raw.DATAALM_PG_USER,
    secretKey: raw.DATAALM_SECRET_KEY,
    demoScale: raw.DATAALM_DEMO_SCALE,
    demo: raw.DATAALM_DEMO,
    pgBin: raw.DATAALM_PG_BIN,
    breadcrumbRetentionSeconds: raw.DATAALM_BREADCRUMB_RETENTION,
    minPlatformUpdate: raw.DATAALM_MIN_PLATFORM_UPDATE,
    mirrorMaxLagBytes: raw.DATAALM_MIRROR_MAX_LAG,
    mirrorCatchUpSeconds: raw.DATAALM_MIRROR_CATCH_UP_SECONDS,
    mirrorCheckSeconds: raw.DATAALM_MIRROR_CHECK_SECONDS,
    smtpUrl: raw.DATAALM_SMTP_URL,
    smtpFrom: raw.DATAALM_SMTP_FROM,
  });
}
