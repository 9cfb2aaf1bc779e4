import { type FormEvent, useState } from 'react';
import { api, ApiError } from '../api/client';
import type { SessionInfo } from '../api/types';
import { Page } from '../components/Page';

function loginFailure(error: unknown): string {
  if (!(error instanceof ApiError)) return 'The service could not be reached. Check that dataalm is running and try again.';
  if (error.code === 'RATE_LIMITED' || error.status === 429) {
    // The wait grows with each failure from this address, so the service's own figure is shown.
    const wait = /try again in (\d+) s/.exec(error.remedy ?? '')?.[1];
    return wait ? `Too many failed sign-ins from this address. Try again in ${wait} seconds.` : 'Too many sign-in attempts. Wait a few minutes, then try again.';
  }
  if (error.status === 401) return 'The user name or password is not right.';
  return error.message;
}

export function LoginPage({ onSignedIn }: { readonly onSignedIn: (session: SessionInfo) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(undefined);
    try {
      onSignedIn(await api.post<SessionInfo>('/api/session', { username, password }));
    } catch (error) {
      setFailure(loginFailure(error));
      setBusy(false);
    }
  };

  return (
    <Page title="Sign in to dataalm" subtitle="Refresh sandbox environments from production, safely.">
      <form className="card form" onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="username">User name</label>
          <input id="username" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        <div role="alert" className={failure ? 'notice notice-danger' : undefined}>
          {failure}
        </div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </Page>
  );
}
