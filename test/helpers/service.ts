import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BIN, type CliResult, ROOT, cliEnv, runCli } from './cli.ts';
import { waitFor } from './wait.ts';

/** Password of the first project owner (`admin`) of a test service. */
export const OWNER_PASSWORD = 'owner-password-for-tests-1';

/** `dataalm start` on its embedded default in a fresh home, with the demo project. */
export interface Service {
  readonly home: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Runs the CLI against this service's project; `input` is written to its stdin. */
  cli(args: string[], options?: { env?: Record<string, string>; input?: string }): Promise<CliResult>;
  /** Everything the service printed so far. */
  output(): string;
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export async function startService(prefix: string, extraEnv: Record<string, string> = {}): Promise<Service> {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), `dataalm-${prefix}-`));
  fs.chmodSync(parent, 0o755);
  const home = path.join(parent, 'home');
  const port = await freePort();
  const base = {
    DATAALM_HOME: home,
    DATAALM_SECRET_KEY: 'service-tests-installation-key',
    DATAALM_ADMIN_PASSWORD: OWNER_PASSWORD,
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, [BIN, 'start'], {
    cwd: ROOT,
    env: cliEnv({ ...base, DATAALM_PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor('dataalm start to come up', () => {
      if (child.exitCode !== null) throw new Error(`dataalm start exited early:\n${output}`);
      return output.includes('dataalm is running at');
    }, { timeoutMs: 180_000 });
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(parent, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    home,
    port,
    baseUrl,
    env: (extra = {}) => cliEnv({ ...base, ...extra }),
    cli: (args, options = {}) => runCli(args, cliEnv({ ...base, ...(options.env ?? {}) }), 300_000, options.input),
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      fs.rmSync(parent, { recursive: true, force: true });
      return code;
    },
  };
}

/** Adds users of the web UI and API to the service's project, each with the password given. */
export async function addUsers(service: Service, users: readonly (readonly [name: string, role: string, password: string])[]): Promise<void> {
  for (const [name, role, password] of users) {
    const added = await service.cli(['user', 'add', name, '--role', role, '--password-stdin'], { input: `${password}\n` });
    if (added.code !== 0) throw new Error(`user add ${name} failed:\n${added.stderr}`);
  }
}
