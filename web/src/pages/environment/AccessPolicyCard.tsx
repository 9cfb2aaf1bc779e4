import { type FormEvent, useState } from 'react';
import { api, ApiError, enc } from '../../api/client';
import type { AccessPolicy, Environment } from '../../api/types';
import { Card } from '../../components/Card';
import { DetailList } from '../../components/DetailList';
import { ErrorNotice, Loading } from '../../components/Notice';
import { formatDateTime } from '../../format';
import { useSession } from '../../session';
import { useResource } from '../../useResource';

const names = (text: string) => text.split(',').map((n) => n.trim()).filter((n) => n !== '');

/**
 * A sandbox's post-refresh access policy: the application users (and groups) a refresh
 * re-enables once its verification passed. The project owner edits it; every change is audited.
 */
export function AccessPolicyCard({ environment }: { readonly environment: Environment }) {
  const { user } = useSession();
  const path = `/api/environments/${enc(environment.name)}/access-policy`;
  const policy = useResource<AccessPolicy>(environment.type === 'sandbox' ? path : null);
  const [editing, setEditing] = useState(false);

  if (environment.type === 'production') return null;
  const data = policy.data;
  const owner = user.role === 'owner';
  const none = data !== undefined && data.users.length === 0 && data.groups.length === 0;
  const canSet = data?.supports.users === true;

  return (
    <Card
      title="Access after a refresh"
      actions={
        owner && canSet && !editing && (
          <button type="button" className="button" onClick={() => setEditing(true)}>
            Edit access policy
          </button>
        )
      }
    >
      {policy.error && <ErrorNotice error={policy.error} />}
      {policy.loading && <Loading what="the access policy" />}
      {data && !editing && (
        <>
          {none ? (
            <p>No access policy: after a refresh, every user but Admin and the service accounts stays disabled.</p>
          ) : (
            <>
              <p>After a refresh, once its verification passed, these are re-enabled:</p>
              <DetailList
                items={[
                  ['Users', data.users.join(', ') || '—'],
                  ...(data.supports.groups ? ([['Groups', data.groups.join(', ') || '—']] as const) : []),
                  ['Set by', `${data.updatedBy ?? '—'}, ${formatDateTime(data.updatedAt)}`],
                ]}
              />
            </>
          )}
          {!canSet && <p className="muted">Profile {data.profile} does not say how its application enables a user, so no policy can be set.</p>}
        </>
      )}
      {data && editing && (
        <AccessPolicyForm
          path={path}
          policy={data}
          onDone={() => {
            setEditing(false);
            policy.reload();
          }}
        />
      )}
    </Card>
  );
}

function AccessPolicyForm({ path, policy, onDone }: { readonly path: string; readonly policy: AccessPolicy; readonly onDone: () => void }) {
  const [users, setUsers] = useState(policy.users.join(', '));
  const [groups, setGroups] = useState(policy.groups.join(', '));
  const [error, setError] = useState<ApiError>();
  const [saving, setSaving] = useState(false);

  const save = async (event: FormEvent, lists: { users: string[]; groups: string[] }) => {
    event.preventDefault();
    setSaving(true);
    setError(undefined);
    try {
      await api.put<AccessPolicy>(path, lists);
      onDone();
    } catch (reason) {
      if (reason instanceof ApiError) setError(reason);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void save(e, { users: names(users), groups: names(groups) })}>
      <div className="field">
        <label htmlFor="access-users">Users to re-enable</label>
        <input id="access-users" aria-describedby="access-users-hint" autoComplete="off" value={users} onChange={(e) => setUsers(e.target.value)} />
        <span id="access-users-hint" className="hint">
          Application user ids, separated by commas. The change is recorded in the audit log.
        </span>
      </div>
      {policy.supports.groups && (
        <div className="field">
          <label htmlFor="access-groups">Groups whose members are re-enabled</label>
          <input id="access-groups" autoComplete="off" value={groups} onChange={(e) => setGroups(e.target.value)} />
        </div>
      )}
      {error && <ErrorNotice error={error} />}
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save access policy'}
        </button>
        <button type="button" className="button" disabled={saving} onClick={(e) => void save(e, { users: [], groups: [] })}>
          Remove policy
        </button>
        <button type="button" className="button" disabled={saving} onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
