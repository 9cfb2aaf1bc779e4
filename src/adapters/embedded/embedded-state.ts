import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * `$DATAALM_HOME/embedded.json` (mode 0600): what an operator needs to reach the embedded
 * server (its admin URL) and what dataalm needs to find it again (port, data folder).
 */
const stateSchema = z.object({
  adminUrl: z.string(),
  port: z.number().int(),
  dataDir: z.string(),
  /** Version of the npm package that ships the server binaries. */
  binariesPackage: z.string(),
});

export type EmbeddedState = z.infer<typeof stateSchema>;

export function statePath(home: string): string {
  return path.join(home, 'embedded.json');
}

export function readState(home: string): EmbeddedState | undefined {
  const file = statePath(home);
  if (!fs.existsSync(file)) return undefined;
  try {
    const parsed = stateSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // unreadable: it is rewritten once the server is up
  }
}

export function writeState(home: string, state: EmbeddedState): void {
  writeSecretFile(statePath(home), `${JSON.stringify(state, null, 2)}\n`);
}

/** Writes a file only its owner can read, atomically, whatever the umask. */
export function writeSecretFile(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content, { mode: 0o600 });
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
}
