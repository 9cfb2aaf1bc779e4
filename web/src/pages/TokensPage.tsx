import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import type { ApiToken, NewApiToken } from '../api/types';
import { Card } from '../components/Card';
import { CopyField } from '../components/CopyField';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { formatDateTime } from '../format';
import { useAction } from '../useAction';
import { useResource } from '../useResource';
import { TableScroll } from '../components/TableScroll';

export function TokensPage() {
  const tokens = useResource<ApiToken[]>('/api/tokens');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<NewApiToken>();
  const { error, act } = useAction(tokens.reload);

  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');

  const changePassword = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      await api.post('/api/session/password', { currentPassword, newPassword });
      // Every session of the user ended, this one too: sign in again with the new password.
      window.location.assign('/login');
    });
  };

  const create = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      setCreated(await api.post<NewApiToken>('/api/tokens', { name }));
      setName('');
    });
  };

  return (
    <Page title="Your account" subtitle="Your password, and the API tokens that let scripts and the CLI call the API as you, with your role.">
      {error && <ErrorNotice error={error} />}
      <Card title="Your password">
        <form className="form form-inline" onSubmit={changePassword}>
          <div className="field">
            <label htmlFor="current-password">Current password</label>
            <input id="current-password" type="password" autoComplete="current-password" required value={currentPassword} onChange={(e) => setCurrentPassword(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="new-password">New password (at least 12 characters)</label>
            <input id="new-password" type="password" autoComplete="new-password" required minLength={12} value={newPassword} onChange={(e) => setNewPassword(e.target.value)} />
          </div>
          <button type="submit" className="button button-primary">
            Change password
          </button>
        </form>
        <p className="hint">Every session of yours ends, this one too: you sign in again with the new password.</p>
      </Card>
      {created && (
        <Notice tone="warning">
          <p className="notice-title">Copy the token “{created.name}” now: it is not shown again.</p>
          <CopyField label="New API token" value={created.token} />
        </Notice>
      )}
      <Card title="Create an API token">
        <form className="form form-inline" onSubmit={create}>
          <div className="field">
            <label htmlFor="token-name">Token name</label>
            <input id="token-name" required placeholder="e.g. nightly refresh" value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <button type="submit" className="button button-primary">
            Create token
          </button>
        </form>
      </Card>
      {tokens.error && <ErrorNotice error={tokens.error} />}
      {tokens.loading && <Loading what="tokens" />}
      {tokens.data && (
        <TableScroll label="API tokens" className="card table-card">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">User</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((token) => (
                <tr key={token.id}>
                  <th scope="row">{token.name}</th>
                  <td>{token.user}</td>
                  <td>{formatDateTime(token.createdAt)}</td>
                  <td>{token.lastUsedAt ? formatDateTime(token.lastUsedAt) : 'Never'}</td>
                  <td>{token.revokedAt ? `Revoked ${formatDateTime(token.revokedAt)}` : 'Active'}</td>
                  <td className="align-end">
                    {!token.revokedAt && (
                      <button type="button" className="button button-quiet" onClick={() => void act(() => api.delete(`/api/tokens/${token.id}`))}>
                        Revoke<span className="visually-hidden"> {token.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {tokens.data.length === 0 && <p className="empty">You have no API tokens.</p>}
        </TableScroll>
      )}
    </Page>
  );
}
