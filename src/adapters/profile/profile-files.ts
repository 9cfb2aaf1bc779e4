import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { BUILT_IN_PROFILE_INPUTS } from '../../domain/profile/built-in-profiles.js';
import { type Profile, profileSchema } from '../../domain/profile/profile-schema.js';

export const BUILT_IN_PROFILE_NAMES = Object.keys(BUILT_IN_PROFILE_INPUTS);

/** A built-in profile by name, or a YAML/JSON file by path. */
export function loadProfile(nameOrFile: string): Profile {
  const builtIn = BUILT_IN_PROFILE_INPUTS[nameOrFile];
  if (builtIn) return validate(builtIn, `built-in profile ${nameOrFile}`);
  const file = path.resolve(nameOrFile);
  if (!fs.existsSync(file)) {
    throw new DataalmError(
      'INVALID_INPUT',
      `profile (--profile): "${nameOrFile}" is neither a built-in profile (${BUILT_IN_PROFILE_NAMES.join(', ')}) nor a file`,
      { field: 'profile' },
    );
  }
  return loadProfileFile(file);
}

/** Reads and validates a profile file; errors name the file, the path inside it and the problem. */
export function loadProfileFile(file: string): Profile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new DataalmError('INVALID_INPUT', `${file}: cannot be read (${(cause as Error).message})`, { field: 'profile', cause });
  }
  let data: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both; JSON files still get JSON's errors.
    data = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true });
  } catch (cause) {
    const reason = ((cause as Error).message ?? String(cause)).split('\n')[0];
    throw new DataalmError('INVALID_INPUT', `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${reason}`, {
      field: 'profile',
      cause,
    });
  }
  return validate(data, file);
}

function validate(data: unknown, origin: string): Profile {
  const parsed = profileSchema.safeParse(data);
  if (parsed.success) return Object.freeze(parsed.data);
  const issue = parsed.error.issues[0]!;
  const where = issue.path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
    '',
  );
  const extra = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
  throw new DataalmError('INVALID_INPUT', `${origin}: ${where || '(top level)'}: ${issue.message}${extra}`, { field: 'profile' });
}

/** The profile as YAML, as `dataalm profile show` prints it. */
export function profileYaml(profile: Profile): string {
  return YAML.stringify(profile);
}
