import { useState } from 'react';
import { api } from '../api/client';
import type { NewNotificationSubscription, NotificationDelivery, NotificationSubscription } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyField } from '../components/CopyField';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { canMaintain, useSession } from '../session';
import { useAction } from '../useAction';
import { useResource } from '../useResource';
import { AddSubscriptionCard } from './notifications/AddSubscriptionCard';
import { SubscriptionCard, describeReceiver } from './notifications/SubscriptionCard';

/** Who is told when operations start, succeed, fail or need action: webhooks and e-mail. */
export function NotificationsPage() {
  const { user } = useSession();
  const manages = canMaintain(user.role);
  const subscriptions = useResource<NotificationSubscription[]>(manages ? '/api/notifications' : null);
  const { error, act } = useAction(subscriptions.reload);
  const [added, setAdded] = useState<NewNotificationSubscription>();
  const [tested, setTested] = useState<{ readonly subscription: NotificationSubscription; readonly delivery: NotificationDelivery }>();
  const [removing, setRemoving] = useState<NotificationSubscription>();
  // Bumped after a test, so the delivery logs shown are read again.
  const [logVersion, setLogVersion] = useState(0);

  const test = (subscription: NotificationSubscription) =>
    void act(async () => {
      setTested(undefined);
      setTested({ subscription, delivery: await api.post<NotificationDelivery>(`/api/notifications/${subscription.id}/test`) });
      setLogVersion((v) => v + 1);
    });

  return (
    <Page
      title="Notifications"
      subtitle="Webhooks and e-mail told when an operation starts, succeeds, fails, or leaves something for a person to do (needs action)."
    >
      {!manages && <Notice tone="info">Project owners and environment managers manage notifications. Ask one of them to add you.</Notice>}
      {error && <ErrorNotice error={error} />}
      {added && (
        <Notice tone="warning">
          <p className="notice-title">
            Added: {describeReceiver(added.subscription)}.{added.secret && ' Copy its signing secret now: it is not shown again.'}
          </p>
          {added.secret && (
            <>
              <CopyField label="Signing secret" value={added.secret} />
              <p className="hint">Each request carries X-Dataalm-Signature: sha256=HMAC-SHA256 of the raw body with this secret, in hex.</p>
            </>
          )}
        </Notice>
      )}
      {tested && <TestResult subscription={tested.subscription} delivery={tested.delivery} />}
      {manages && (
        <AddSubscriptionCard
          role={user.role}
          onAdded={(result) => {
            setAdded(result);
            subscriptions.reload();
          }}
        />
      )}
      {subscriptions.error && <ErrorNotice error={subscriptions.error} />}
      {subscriptions.loading && <Loading what="notifications" />}
      {subscriptions.data?.length === 0 && <p className="empty">No subscriptions yet: nobody is told when operations end.</p>}
      {subscriptions.data?.map((subscription) => (
        <SubscriptionCard
          key={subscription.id}
          subscription={subscription}
          mayManage={user.role === 'owner' || subscription.environment !== null}
          logVersion={logVersion}
          onTest={() => test(subscription)}
          onRemove={() => setRemoving(subscription)}
        />
      ))}
      <ConfirmDialog
        open={removing !== undefined}
        title="Remove this subscription?"
        confirmLabel="Remove the subscription"
        danger
        onConfirm={() => {
          const subscription = removing;
          setRemoving(undefined);
          if (subscription) void act(() => api.delete(`/api/notifications/${subscription.id}`));
        }}
        onCancel={() => setRemoving(undefined)}
      >
        <p>{removing && describeReceiver(removing)} is no longer told of operations, and its delivery log goes with it.</p>
      </ConfirmDialog>
    </Page>
  );
}

function TestResult({ subscription, delivery }: { readonly subscription: NotificationSubscription; readonly delivery: NotificationDelivery }) {
  const attempt = delivery.attempts.at(-1);
  if (delivery.state === 'delivered') {
    return (
      <Notice tone="info">
        <p role="status">
          Test notification delivered to {subscription.address}
          {attempt?.httpStatus ? ` (HTTP ${attempt.httpStatus})` : ''}.
        </p>
      </Notice>
    );
  }
  return (
    <div className="notice notice-danger" role="alert">
      <p className="notice-title">The test notification to {subscription.address} was not delivered.</p>
      <p>{attempt?.error ?? 'No attempt was made.'}</p>
      <p className="remedy">What to do: check that the receiver is up and answers with a 2xx status, or the SMTP server setting (DATAALM_SMTP_URL).</p>
    </div>
  );
}
