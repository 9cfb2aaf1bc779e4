import { useState } from 'react';
import { api, ApiError, enc } from '../../api/client';
import type { Credentials, Environment } from '../../api/types';
import { Card } from '../../components/Card';
import { CopyField } from '../../components/CopyField';
import { ErrorNotice } from '../../components/Notice';

/** Sandbox credentials, fetched (and audited) only when asked for; production's are never shown. */
export function CredentialsCard({ environment }: { readonly environment: Environment }) {
  const [credentials, setCredentials] = useState<Credentials>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  if (environment.type === 'production') {
    return (
      <Card title="Credentials">
        <p>Credentials of production environments are never shown.</p>
      </Card>
    );
  }

  const reveal = async () => {
    setBusy(true);
    try {
      setCredentials(await api.get<Credentials>(`/api/environments/${enc(environment.name)}/credentials`));
      setError(undefined);
    } catch (reason) {
      if (reason instanceof ApiError) setError(reason);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Credentials">
      {credentials ? (
        <>
          <CopyField label="Application database URL" value={credentials.application} />
          {credentials.financialReporting && <CopyField label="Financial reporting database URL" value={credentials.financialReporting} />}
        </>
      ) : (
        <>
          <p className="muted">Revealing the credentials is recorded in the audit log.</p>
          <button type="button" className="button" onClick={() => void reveal()} disabled={busy}>
            Reveal credentials
          </button>
        </>
      )}
      {error && <ErrorNotice error={error} />}
    </Card>
  );
}
