import { type FormEvent, useState } from 'react';
import { api, type ApiError, asApiError, enc } from '../api/client';
import type { EnvironmentDetails, EnvironmentPackage, Operation } from '../api/types';
import { changeText, fieldLabel, kindLabel, packageName, REPORTING_COMPONENT, seedVersionItems, versionChanges } from '../assets';
import { Card } from '../components/Card';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DetailList } from '../components/DetailList';
import { FormActions } from '../components/FormActions';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { StatusBadge } from '../components/StatusBadge';
import { Link, navigate, paths } from '../router';
import { canApply, canMaintain, useSession } from '../session';
import { useResource } from '../useResource';
import { PackagePicker } from './apply/PackagePicker';
import { PackageScripts } from './apply/PackageScripts';
import { SharedAssetsCard } from './assets/SharedAssetsCard';

/** Maintain › Apply updates: choose a package of the asset library, confirm, follow its operation. */
export function ApplyPage({ target }: { readonly target: string }) {
  const { user } = useSession();
  const environment = useResource<EnvironmentDetails>(`/api/environments/${enc(target)}`);
  const data = environment.data;
  const allowed = data !== undefined && canApply(user.role, data.type);
  const packages = useResource<EnvironmentPackage[]>(allowed ? `/api/environments/${enc(target)}/packages` : null);
  const [chosen, setChosen] = useState<number>();
  const [asking, setAsking] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<ApiError>();
  const selected = packages.data?.find((entry) => entry.asset.id === chosen && entry.applicable)?.asset;

  const choose = (id: number) => {
    setChosen(id);
    setFailure(undefined);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (selected) setAsking(true);
  };

  const apply = async () => {
    if (!selected) return;
    setAsking(false);
    setSubmitting(true);
    setFailure(undefined);
    try {
      const { operation } = await api.post<{ operation: Operation }>(`/api/environments/${enc(target)}/apply`, { package: selected.id });
      navigate(paths.operation(operation.id));
    } catch (error) {
      setFailure(asApiError(error));
      setSubmitting(false);
      packages.reload();
    }
  };

  const production = data?.type === 'production';
  const changes = data && selected ? versionChanges(data, selected.sets) : [];

  return (
    <Page title={`Apply updates to ${target}`} subtitle={<>Maintain › Apply updates · target {target}</>}>
      <p>
        <Link to={paths.environment(target)}>Back to {target}</Link>
      </p>
      {environment.error && <ErrorNotice error={environment.error} />}
      {environment.loading && <Loading what="the environment" />}
      {!canMaintain(user.role) && <Notice tone="info">Only project owners and environment managers apply updates.</Notice>}
      {data && canMaintain(user.role) && !allowed && (
        <Notice tone="info">Only the project owner applies updates to a production environment: a package runs its scripts on its databases.</Notice>
      )}
      {data && allowed && production && (
        <Notice tone="warning">
          <strong>{target} is a production environment.</strong> A package runs its scripts on its databases.
        </Notice>
      )}
      {data && <CurrentVersionsCard environment={data} />}
      {packages.loading && <Loading what="the packages" />}
      {packages.error && <ErrorNotice error={packages.error} />}
      {data && packages.data && (
        <>
          <form onSubmit={submit}>
            <p>
              A package runs its scripts on the databases of <strong>{target}</strong> (each database’s in one transaction), puts its
              files in its document storage and sets the versions it names. A package never lowers a version, and is not rolled
              back: when one fails, fix the cause and apply it again.
            </p>
            <PackagePicker environment={data} packages={packages.data} value={selected?.id} onChange={choose} />
            <section className="card" aria-labelledby="apply-heading">
              <h2 id="apply-heading">Apply</h2>
              <p>
                {selected ? (
                  <>
                    Package {selected.id}, <strong>{packageName(selected)}</strong>, is to be applied to {target}.
                  </>
                ) : (
                  <span className="muted">Choose a package that applies to {target}.</span>
                )}
              </p>
              {selected && <PackageScripts key={selected.id} asset={selected} target={target} />}
              <FormActions
                label="Apply"
                disabled={!selected}
                submitting={submitting}
                failure={failure}
                failureTitle="The package was not applied."
                cancelTo={paths.environment(target)}
              />
            </section>
          </form>
          <SharedAssetsCard
            title="Import from shared assets"
            library={packages.data.map((entry) => entry.asset)}
            canImport
            onImported={packages.reload}
          />
        </>
      )}
      <ConfirmDialog
        open={asking && selected !== undefined}
        title={selected ? `Apply package ${selected.id} to ${target}?` : 'Apply the package?'}
        confirmLabel="Apply the package"
        danger={production}
        onConfirm={() => void apply()}
        onCancel={() => setAsking(false)}
      >
        {selected && (
          <>
            <p>
              <strong>{packageName(selected)}</strong> ({kindLabel(selected.kind)}) is applied to {target} as an
              operation with its own runbook.
            </p>
            {changes.length > 0 ? (
              <>
                <p>Versions it sets:</p>
                <ul className="plain-list">
                  {changes.map((change) => (
                    <li key={change.field}>{changeText(change)}</li>
                  ))}
                </ul>
              </>
            ) : (
              <p>It sets no version.</p>
            )}
            <p>It is not rolled back: if it fails, fix the cause and apply it again.</p>
            {production && asking && <PackageScripts key={selected.id} asset={selected} target={target} initiallyOpen />}
          </>
        )}
      </ConfirmDialog>
    </Page>
  );
}

function CurrentVersionsCard({ environment }: { readonly environment: EnvironmentDetails }) {
  return (
    <Card title="Current versions">
      <p>
        <StatusBadge status={environment.type} /> <StatusBadge status={environment.state} />
      </p>
      <DetailList
        items={[
          ...seedVersionItems(environment, fieldLabel(REPORTING_COMPONENT)),
          ...Object.entries(environment.components).map(([name, version]) => [name, version] as const),
        ]}
      />
    </Card>
  );
}
