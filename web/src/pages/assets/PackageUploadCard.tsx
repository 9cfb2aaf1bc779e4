import { type FormEvent, useState } from 'react';
import { api, type ApiError, asApiError } from '../../api/client';
import type { Asset } from '../../api/types';
import { packageName } from '../../assets';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/Notice';

/** A file's bytes as base64, for the JSON body. */
async function base64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/**
 * The project owner imports a package of their own: its manifest (asset.yaml or .json) and
 * the script and installer files it names beside it, as `dataalm asset import FILE` reads them.
 */
export function PackageUploadCard({ onImported }: { readonly onImported: (asset: Asset) => void }) {
  const [manifest, setManifest] = useState<File>();
  const [files, setFiles] = useState<readonly File[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [imported, setImported] = useState<Asset>();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!manifest) return;
    const form = event.currentTarget;
    setBusy(true);
    setError(undefined);
    setImported(undefined);
    try {
      const attached = Object.fromEntries(await Promise.all(files.map(async (file) => [file.name, await base64(file)] as const)));
      const asset = await api.post<Asset>('/api/assets', { upload: { name: manifest.name, text: await manifest.text(), files: attached } });
      setImported(asset);
      setManifest(undefined);
      setFiles([]);
      form.reset();
      onImported(asset);
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Import a package">
      <p className="muted">
        A deployable package of your own: its manifest (asset.yaml, or JSON), and the script and installer files it names, which
        sit beside it.
      </p>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="package-manifest">Package manifest</label>
          <input id="package-manifest" type="file" accept=".yaml,.yml,.json" required onChange={(e) => setManifest(e.target.files?.[0])} />
        </div>
        <div className="field">
          <label htmlFor="package-files">Files it names (optional)</label>
          <input id="package-files" type="file" multiple onChange={(e) => setFiles(Array.from(e.target.files ?? []))} />
        </div>
        {error && <ErrorNotice error={error} title="The package was not imported." />}
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={busy || !manifest}>
            {busy ? 'Importing…' : 'Import package'}
          </button>
        </div>
      </form>
      <p role="status" className="status-line">
        {imported && `Imported into the asset library as package ${imported.id}: ${packageName(imported)}.`}
      </p>
    </Card>
  );
}
