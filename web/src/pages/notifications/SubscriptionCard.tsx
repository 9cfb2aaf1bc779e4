import { useEffect } from 'react';
import type { NotificationDelivery, NotificationSubscription } from '../../api/types';
import { Card } from '../../components/Card';
import { DetailList } from '../../components/DetailList';
import { ErrorNotice, Loading } from '../../components/Notice';
import { formatDateTime } from '../../format';
import { Link, paths } from '../../router';
import { useResource } from '../../useResource';

export const EVENT_LABELS: Readonly<Record<NotificationDelivery['event'], string>> = {
  started: 'Started',
  succeeded: 'Succeeded',
  failed: 'Failed',
  'needs-action': 'Needs action',
  test: 'Test',
};

export function describeReceiver(subscription: NotificationSubscription): string {
  return `${subscription.channel === 'webhook' ? 'Webhook' : 'E-mail to'} ${subscription.address}`;
}

interface SubscriptionCardProps {
  readonly subscription: NotificationSubscription;
  /** Project-wide subscriptions are the project owner's. */
  readonly mayManage: boolean;
  readonly logVersion: number;
  readonly onTest: () => void;
  readonly onRemove: () => void;
}

/** One subscription: what it hears of, its actions, and its delivery log. */
export function SubscriptionCard({ subscription, mayManage, logVersion, onTest, onRemove }: SubscriptionCardProps) {
  const title = `${subscription.channel === 'webhook' ? 'Webhook' : 'E-mail'} ${subscription.id}`;
  return (
    <Card
      title={title}
      actions={
        mayManage && (
          <div className="button-row">
            <button type="button" className="button" onClick={onTest}>
              Send a test<span className="visually-hidden"> to {title}</span>
            </button>
            <button type="button" className="button button-quiet" onClick={onRemove}>
              Remove<span className="visually-hidden"> {title}</span>
            </button>
          </div>
        )
      }
    >
      <DetailList
        items={[
          [subscription.channel === 'webhook' ? 'URL' : 'Address', <code key="address">{subscription.address}</code>],
          ['Environment', subscription.environment ?? 'Every environment'],
          ['Events', subscription.events.map((e) => EVENT_LABELS[e]).join(', ')],
          ['Added', `${formatDateTime(subscription.createdAt)} by ${subscription.createdBy}`],
        ]}
      />
      <DeliveryLog subscription={subscription.id} version={logVersion} />
    </Card>
  );
}

function DeliveryLog({ subscription, version }: { readonly subscription: number; readonly version: number }) {
  const deliveries = useResource<NotificationDelivery[]>(`/api/notifications/${subscription}/deliveries`);
  const { reload } = deliveries;
  // Read again after a test was sent.
  useEffect(() => {
    if (version > 0) reload();
  }, [version, reload]);
  return (
    <details className="disclosure">
      <summary>Delivery log</summary>
      {deliveries.error && <ErrorNotice error={deliveries.error} />}
      {deliveries.loading && <Loading what="the delivery log" />}
      {deliveries.data?.length === 0 && <p className="empty">Nothing sent yet.</p>}
      {deliveries.data && deliveries.data.length > 0 && (
        <ul className="plain-list">
          {deliveries.data.map((d) => (
            <li key={d.id}>
              <strong>{EVENT_LABELS[d.event]}</strong>
              {d.operation !== null && (
                <>
                  {' '}
                  of <Link to={paths.operation(d.operation)}>operation {d.operation}</Link>
                </>
              )}
              : {d.state === 'delivered' ? 'delivered' : d.state === 'failed' ? 'failed, given up' : 'pending, tried again soon'}
              <ul className="plain-list">
                {d.attempts.map((a) => (
                  <li key={a.attempt}>
                    Attempt {a.attempt}, {formatDateTime(a.at)}: {a.ok ? 'ok' : 'failed'}
                    {a.httpStatus !== null && `, HTTP ${a.httpStatus}`}
                    {a.error && a.httpStatus === null && `, ${a.error}`} ({a.durationMs} ms)
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
