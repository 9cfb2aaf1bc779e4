import { type FormEvent, useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { Environment, NewNotificationSubscription, NotificationSubscription, Role } from '../../api/types';
import { Card } from '../../components/Card';
import { ErrorNotice } from '../../components/Notice';
import { useResource } from '../../useResource';
import { EVENT_LABELS } from './SubscriptionCard';

type Event = NotificationSubscription['events'][number];
const EVENTS: readonly Event[] = ['started', 'succeeded', 'failed', 'needs-action'];
const EVENT_HINTS: Readonly<Record<Event, string>> = {
  started: 'a worker began the operation',
  succeeded: 'it ended well',
  failed: 'with the step and the error',
  'needs-action': 'a rollback or a pending action waits for a person',
};

/** The form that subscribes a webhook or an e-mail address. */
export function AddSubscriptionCard({ role, onAdded }: { readonly role: Role; readonly onAdded: (added: NewNotificationSubscription) => void }) {
  const environments = useResource<Environment[]>('/api/environments');
  const [channel, setChannel] = useState<'webhook' | 'email'>('webhook');
  const [address, setAddress] = useState('');
  // Project-wide subscriptions are the project owner's: a manager picks an environment.
  const [environment, setEnvironment] = useState(role === 'owner' ? '' : undefined);
  const [events, setEvents] = useState<readonly Event[]>(EVENTS);
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const chosenEnvironment = environment ?? environments.data?.[0]?.name ?? '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const added = await api.post<NewNotificationSubscription>('/api/notifications', {
        [channel]: address,
        ...(chosenEnvironment ? { environment: chosenEnvironment } : {}),
        events,
      });
      setAddress('');
      onAdded(added);
    } catch (reason) {
      if (reason instanceof ApiError) setError(reason);
    } finally {
      setBusy(false);
    }
  };

  const toggle = (name: Event, on: boolean) => setEvents((current) => EVENTS.filter((e) => (e === name ? on : current.includes(e))));

  return (
    <Card title="Add a subscription">
      {error && <ErrorNotice error={error} />}
      <form className="form" onSubmit={(e) => void submit(e)}>
        <fieldset className="field">
          <legend>Send to</legend>
          <label className="checkbox">
            <input type="radio" name="channel" checked={channel === 'webhook'} onChange={() => setChannel('webhook')} />
            A webhook (signed JSON, retried when it fails)
          </label>
          <label className="checkbox">
            <input type="radio" name="channel" checked={channel === 'email'} onChange={() => setChannel('email')} />
            An e-mail address
          </label>
        </fieldset>
        <div className="field">
          <label htmlFor="notification-address">{channel === 'webhook' ? 'Webhook URL' : 'E-mail address'}</label>
          <input
            id="notification-address"
            type="text"
            inputMode={channel === 'webhook' ? 'url' : 'email'}
            autoComplete={channel === 'webhook' ? 'url' : 'email'}
            spellCheck={false}
            required
            placeholder={channel === 'webhook' ? 'https://hooks.example.com/dataalm' : 'ops@example.com'}
            value={address}
            onChange={(e) => setAddress(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="notification-environment">Environment</label>
          <select id="notification-environment" value={chosenEnvironment} onChange={(e) => setEnvironment(e.target.value)}>
            {role === 'owner' && <option value="">Every environment</option>}
            {environments.data?.map((env) => (
              <option key={env.name} value={env.name}>
                {env.name}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="field">
          <legend>Events</legend>
          {EVENTS.map((name) => (
            <label key={name} className="checkbox">
              <input type="checkbox" checked={events.includes(name)} onChange={(e) => toggle(name, e.target.checked)} />
              <span>
                {EVENT_LABELS[name]} <span className="muted">— {EVENT_HINTS[name]}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={busy || events.length === 0}>
            Add subscription
          </button>
        </div>
      </form>
    </Card>
  );
}
