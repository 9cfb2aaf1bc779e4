import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let packages: string | undefined;

/** The test file's folder of package folders, removed when its process exits. */
function packagesFolder(): string {
  if (packages === undefined) {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-packages-'));
    process.once('exit', () => fs.rmSync(folder, { recursive: true, force: true }));
    packages = folder;
  }
  return packages;
}

/**
 * A package folder as a person writes one: `asset.yaml` (given as lines) and the files it
 * names beside it. Returns the manifest's path, for `dataalm asset import`.
 */
export function writePackage(manifest: readonly string[], files: Readonly<Record<string, string>> = {}): string {
  const folder = fs.mkdtempSync(path.join(packagesFolder(), 'package-'));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), content);
  const file = path.join(folder, 'asset.yaml');
  fs.writeFileSync(file, `${manifest.join('\n')}\n`);
  return file;
}
