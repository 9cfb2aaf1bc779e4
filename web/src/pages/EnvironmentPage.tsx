import { enc } from '../api/client';
import type { EnvironmentDetails } from '../api/types';
import { MaintainMenu } from '../components/MaintainMenu';
import { ErrorNotice, Loading } from '../components/Notice';
import { Page } from '../components/Page';
import { StatusBadge } from '../components/StatusBadge';
import { canApply, canMaintain, useSession } from '../session';
import { useResource } from '../useResource';
import { HistoryCard, RecentOperationsCard } from './environment/ActivityCards';
import { AccessPolicyCard } from './environment/AccessPolicyCard';
import { CredentialsCard } from './environment/CredentialsCard';
import { MirrorCard } from './environment/MirrorCard';
import { RecurringJobsCard } from './environment/RecurringJobsCard';
import { EditEnvironmentCard } from './environment/EditEnvironmentCard';
import { DatabasesCard, OverviewCard, PendingActionsNotice, VersionsCard } from './environment/OverviewCards';

export function EnvironmentPage({ name }: { readonly name: string }) {
  const { user } = useSession();
  const environment = useResource<EnvironmentDetails>(`/api/environments/${enc(name)}`);
  const data = environment.data;
  const maintainer = canMaintain(user.role);
  const refresh = maintainer && data?.type === 'sandbox';
  const apply = data !== undefined && canApply(user.role, data.type);

  return (
    <Page
      title={name}
      subtitle={
        data && (
          <>
            <StatusBadge status={data.type} /> <StatusBadge status={data.state} /> Tenant {data.tenant}
          </>
        )
      }
      actions={(refresh || apply) && <MaintainMenu environment={name} refresh={refresh} apply={apply} />}
    >
      {environment.error && <ErrorNotice error={environment.error} />}
      {environment.loading && <Loading what="the environment" />}
      {data && (
        <>
          <PendingActionsNotice environment={data} />
          <div className="grid">
            <OverviewCard environment={data} />
            <VersionsCard environment={data} />
          </div>
          <DatabasesCard environment={data} />
          <RecurringJobsCard environment={data} />
          <AccessPolicyCard environment={data} />
          <MirrorCard environment={data} />
          {(maintainer || data.type === 'production') && <CredentialsCard environment={data} />}
          <RecentOperationsCard environment={name} />
          <HistoryCard history={data.history} />
          {user.role === 'owner' && <EditEnvironmentCard environment={data} onSaved={environment.reload} />}
        </>
      )}
    </Page>
  );
}
