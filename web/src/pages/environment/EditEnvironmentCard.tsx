import { type FormEvent, useState } from 'react';
import { api, type ApiError, asApiError, enc } from '../../api/client';
import type { Environment, EnvironmentDetails } from '../../api/types';
import { Card } from '../../components/Card';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNotice } from '../../components/Notice';
import { navigate } from '../../router';
import { TextField } from '../environments/TextField';

interface EditEnvironmentCardProps {
  readonly environment: EnvironmentDetails;
  readonly onSaved: () => void;
}

/**
 * The project owner changes what was registered (checked by the service as `dataalm env add`
 * checks a new environment), or removes the environment from the registry. A database URL
 * typed here is sent once and never shown again: its field empties when it is saved.
 */
export function EditEnvironmentCard({ environment, onSaved }: EditEnvironmentCardProps) {
  const [editing, setEditing] = useState(false);
  const [tenant, setTenant] = useState(environment.tenant);
  const [administrator, setAdministrator] = useState(environment.administrator);
  const [storage, setStorage] = useState(environment.documentStorage ?? '');
  const [syncCommand, setSyncCommand] = useState(environment.syncCommand ?? '');
  const [appUrl, setAppUrl] = useState('');
  const [reportingUrl, setReportingUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [saved, setSaved] = useState(false);
  const [removing, setRemoving] = useState(false);
  const name = environment.name;

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setSaved(false);
    try {
      const databaseUrls = { ...(appUrl ? { application: appUrl } : {}), ...(reportingUrl ? { financialReporting: reportingUrl } : {}) };
      await api.patch<Environment>(`/api/environments/${enc(name)}`, {
        tenant,
        administrator,
        documentStorage: storage.trim() === '' ? null : storage.trim(),
        syncCommand: syncCommand.trim() === '' ? null : syncCommand.trim(),
        ...(Object.keys(databaseUrls).length > 0 ? { databaseUrls } : {}),
      });
      setAppUrl('');
      setReportingUrl('');
      setSaved(true);
      setEditing(false);
      onSaved();
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setRemoving(false);
    setError(undefined);
    try {
      await api.delete(`/api/environments/${enc(name)}`);
      navigate('/');
    } catch (reason) {
      setError(asApiError(reason));
    }
  };

  return (
    <Card title="Registration">
      <p role="status" className="status-line">
        {saved && `The changes to ${name} are saved.`}
      </p>
      {!editing && (
        <div className="button-row">
          <button type="button" className="button" onClick={() => setEditing(true)}>
            Edit {name}
          </button>
          <button type="button" className="button button-danger" onClick={() => setRemoving(true)}>
            Remove {name}
          </button>
        </div>
      )}
      {editing && (
        <form className="form" onSubmit={(e) => void save(e)}>
          <TextField id="edit-tenant" label="Tenant" value={tenant} onChange={setTenant} hint="The identity tenant domain, e.g. contoso.com." />
          <TextField id="edit-administrator" label="Environment Administrator" value={administrator} onChange={setAdministrator} hint="Becomes the Admin user after a refresh; an account of the tenant." />
          <TextField id="edit-storage" label="Document storage folder" value={storage} onChange={setStorage} hint="Empty: none. Never copied by a refresh." />
          <TextField id="edit-sync" label="Synchronize command" value={syncCommand} onChange={setSyncCommand} hint="Run on a refreshed copy; empty: none." />
          <TextField id="edit-app-db" label="New application database URL" value={appUrl} onChange={setAppUrl} secret hint="Empty keeps the current connection. It is not shown again once saved." />
          <TextField id="edit-reporting-db" label="New financial reporting database URL" value={reportingUrl} onChange={setReportingUrl} secret hint="Empty keeps the current connection." />
          {error && <ErrorNotice error={error} title="The changes were not saved." />}
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save changes'}
            </button>
            <button type="button" className="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {!editing && error && <ErrorNotice error={error} />}
      <ConfirmDialog open={removing} title={`Remove ${name}?`} confirmLabel="Remove" danger onConfirm={() => void remove()} onCancel={() => setRemoving(false)}>
        <p>
          {name} is removed from this project&apos;s registry, with its history. Its databases and files are not touched; it can be
          registered again.
        </p>
      </ConfirmDialog>
    </Card>
  );
}
