import { type FormEvent, useState } from 'react';
import { api, type ApiError, asApiError } from '../../api/client';
import type { Environment } from '../../api/types';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/Notice';
import { navigate, paths } from '../../router';
import { TextField } from './TextField';

/** The built-in profiles; a profile file on the dataalm host is named by its path. */
const PROFILES = ['finance-operations', 'plain'];

/**
 * Registers an environment as `dataalm env add` does: the service checks every field with the
 * same rules and messages, and that its databases answer. The database URLs (with their
 * passwords) are sent once and never shown again.
 */
export function AddEnvironmentForm({ onCancel }: { readonly onCancel: () => void }) {
  const [fields, setFields] = useState({
    name: '',
    type: 'sandbox',
    tenant: '',
    administrator: '',
    profile: 'finance-operations',
    applicationRelease: '',
    platformUpdate: '',
    financialReportingVersion: '',
    documentStorage: '',
    syncCommand: '',
    application: '',
    financialReporting: '',
  });
  const [retail, setRetail] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const set = (key: keyof typeof fields) => (value: string) => setFields((was) => ({ ...was, [key]: value }));
  const optional = (value: string) => (value.trim() === '' ? undefined : value.trim());

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const added = await api.post<Environment>('/api/environments', {
        name: fields.name.trim(),
        type: fields.type,
        tenant: fields.tenant.trim(),
        administrator: fields.administrator.trim(),
        applicationRelease: optional(fields.applicationRelease),
        platformUpdate: optional(fields.platformUpdate),
        financialReportingVersion: optional(fields.financialReportingVersion),
        retail,
        profile: fields.profile.trim(),
        documentStorage: optional(fields.documentStorage) ?? null,
        syncCommand: optional(fields.syncCommand) ?? null,
        databaseUrls: { application: fields.application, ...(optional(fields.financialReporting) ? { financialReporting: fields.financialReporting.trim() } : {}) },
      });
      navigate(paths.environment(added.name));
    } catch (reason) {
      setError(asApiError(reason));
      setBusy(false);
    }
  };

  return (
    <Card title="Add an environment">
      <form className="form" onSubmit={(e) => void submit(e)}>
        <TextField id="add-name" label="Name" value={fields.name} onChange={set('name')} required hint='Lower-case letters, digits and "-", e.g. contoso-uat2.' />
        <div className="field">
          <label htmlFor="add-type">Type</label>
          <select id="add-type" value={fields.type} onChange={(e) => set('type')(e.target.value)}>
            <option value="sandbox">Sandbox</option>
            <option value="production">Production</option>
          </select>
        </div>
        <TextField id="add-tenant" label="Tenant" value={fields.tenant} onChange={set('tenant')} required hint="The identity tenant domain, e.g. contoso.com." />
        <TextField id="add-administrator" label="Environment Administrator" value={fields.administrator} onChange={set('administrator')} required hint="Becomes the Admin user after a refresh; an account of the tenant." />
        <div className="field">
          <label htmlFor="add-profile">Refresh profile</label>
          <input id="add-profile" list="add-profiles" value={fields.profile} onChange={(e) => set('profile')(e.target.value)} spellCheck={false} />
          <datalist id="add-profiles">
            {PROFILES.map((profile) => (
              <option key={profile} value={profile} />
            ))}
          </datalist>
        </div>
        <TextField id="add-release" label="Application release" value={fields.applicationRelease} onChange={set('applicationRelease')} hint="e.g. 10.0.38 (needed by finance-operations)." />
        <TextField id="add-platform" label="Platform update" value={fields.platformUpdate} onChange={set('platformUpdate')} hint="e.g. 62." />
        <TextField id="add-reporting" label="Financial reporting version" value={fields.financialReportingVersion} onChange={set('financialReportingVersion')} hint="e.g. 10.0.38.3." />
        <div className="checkbox">
          <input id="add-retail" type="checkbox" checked={retail} onChange={(e) => setRetail(e.target.checked)} />
          <label htmlFor="add-retail">Uses retail (the reprovisioning tool runs after a refresh)</label>
        </div>
        <TextField id="add-app-db" label="Application database URL" value={fields.application} onChange={set('application')} required secret hint="postgresql://user:password@host:port/database. Not shown again once saved." />
        <TextField id="add-reporting-db" label="Financial reporting database URL" value={fields.financialReporting} onChange={set('financialReporting')} secret hint="Optional." />
        <TextField id="add-storage" label="Document storage folder" value={fields.documentStorage} onChange={set('documentStorage')} hint="Optional; a folder on the dataalm host, never copied by a refresh." />
        <TextField id="add-sync" label="Synchronize command" value={fields.syncCommand} onChange={set('syncCommand')} hint="Optional; run on a refreshed copy." />
        {error && <ErrorNotice error={error} title="The environment was not added." />}
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add environment'}
          </button>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </Card>
  );
}
