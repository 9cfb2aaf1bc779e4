import { type FormEvent, useState } from 'react';
import { api, ApiError, enc } from '../api/client';
import type { ManagedUser, Role } from '../api/types';
import { Card } from '../components/Card';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { formatDateTime } from '../format';
import { canManageUsers, ROLE_LABELS, useSession } from '../session';
import { useAction } from '../useAction';
import { useResource } from '../useResource';
import { TableScroll } from '../components/TableScroll';

const ROLES = Object.keys(ROLE_LABELS) as Role[];

function RoleSelect({ id, value, onChange, disabled }: { id: string; value: Role; onChange: (role: Role) => void; disabled?: boolean }) {
  return (
    <select id={id} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as Role)}>
      {ROLES.map((role) => (
        <option key={role} value={role}>
          {ROLE_LABELS[role]}
        </option>
      ))}
    </select>
  );
}

export function UsersPage() {
  const { user } = useSession();
  const owner = canManageUsers(user.role);
  const users = useResource<ManagedUser[]>(owner ? '/api/users' : null);
  const { error, act } = useAction(users.reload);
  const [removing, setRemoving] = useState<string>();

  return (
    <Page title="Users and roles" subtitle="Project owners manage users; environment managers refresh; team members read.">
      {!owner && <Notice tone="info">Only project owners manage users.</Notice>}
      {error && <ErrorNotice error={error} />}
      {users.error && <ErrorNotice error={users.error} />}
      {users.loading && <Loading what="users" />}
      {users.data && (
        <TableScroll label="Users" className="card table-card">
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((row) => (
                <tr key={row.name}>
                  <th scope="row">{row.name}</th>
                  <td>
                    <label className="visually-hidden" htmlFor={`role-${row.name}`}>
                      Role of {row.name}
                    </label>
                    <RoleSelect
                      id={`role-${row.name}`}
                      value={row.role}
                      disabled={row.name === user.name}
                      onChange={(role) => void act(() => api.patch(`/api/users/${enc(row.name)}`, { role }))}
                    />
                  </td>
                  <td>{formatDateTime(row.createdAt)}</td>
                  <td className="align-end">
                    {row.name !== user.name && (
                      <button type="button" className="button button-quiet" onClick={() => setRemoving(row.name)}>
                        Remove<span className="visually-hidden"> {row.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {owner && <AddUserCard onAdded={users.reload} />}
      <ConfirmDialog
        open={removing !== undefined}
        title={`Remove ${removing ?? ''}?`}
        confirmLabel="Remove the user"
        danger
        onConfirm={() => {
          const name = removing;
          setRemoving(undefined);
          if (name) void act(() => api.delete(`/api/users/${enc(name)}`));
        }}
        onCancel={() => setRemoving(undefined)}
      >
        <p>They can no longer sign in, and their API tokens stop working. The audit log keeps what they did.</p>
      </ConfirmDialog>
    </Page>
  );
}

function AddUserCard({ onAdded }: { readonly onAdded: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError>();
  const [added, setAdded] = useState<string>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setAdded(undefined);
    try {
      await api.post('/api/users', { name, role, password });
      setAdded(name);
      setName('');
      setPassword('');
      onAdded();
    } catch (reason) {
      if (reason instanceof ApiError) setError(reason);
    }
  };

  return (
    <Card title="Add a user">
      <form className="form form-inline" onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="new-user-name">User name</label>
          <input id="new-user-name" required autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="new-user-role">Role</label>
          <RoleSelect id="new-user-role" value={role} onChange={setRole} />
        </div>
        <div className="field">
          <label htmlFor="new-user-password">Initial password</label>
          <input
            id="new-user-password"
            type="password"
            required
            minLength={12}
            aria-describedby="new-user-password-hint"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <span id="new-user-password-hint" className="hint">
            At least 12 characters.
          </span>
        </div>
        <button type="submit" className="button button-primary">
          Add user
        </button>
      </form>
      <p role="status">{added && `${added} was added.`}</p>
      {error && <ErrorNotice error={error} />}
    </Card>
  );
}
