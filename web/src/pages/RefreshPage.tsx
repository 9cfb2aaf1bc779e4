import { type FormEvent, useState } from 'react';
import { api, type ApiError, asApiError, enc } from '../api/client';
import type { Environment, Operation, Reason, RefreshPreview, RefreshSource } from '../api/types';
import { compareVersions } from '../assets';
import { FormActions } from '../components/FormActions';
import { ErrorNotice, Loading, Notice, ReasonList } from '../components/Notice';
import { Page } from '../components/Page';
import { Link, navigate, paths } from '../router';
import { canMaintain, useSession } from '../session';
import { useResource } from '../useResource';
import { RefreshPreviewPanel } from './refresh/RefreshPreviewPanel';
import { SourcePicker } from './refresh/SourcePicker';
import { StopRecurringJobs } from './environment/StopRecurringJobs';

type Verify = 'counts' | 'checksums';

/** Maintain › Move database › Refresh database: choose a source, read the preview, acknowledge, confirm. */
export function RefreshPage({ target }: { readonly target: string }) {
  const { user } = useSession();
  const allowed = canMaintain(user.role);
  const environment = useResource<Environment>(`/api/environments/${enc(target)}`);
  const sandbox = environment.data?.type === 'sandbox';
  const sources = useResource<RefreshSource[]>(allowed && sandbox ? `/api/environments/${enc(target)}/refresh-sources` : null);
  const environments = useResource<Environment[]>(allowed && sandbox ? '/api/environments' : null);
  const [source, setSource] = useState<string>();
  const preview = useResource<RefreshPreview>(
    source ? `/api/environments/${enc(target)}/refresh-preview?source=${enc(source)}` : null,
  );
  const [acknowledged, setAcknowledged] = useState(false);
  const [verify, setVerify] = useState<Verify>('counts');
  const [jobs, setJobs] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<ApiError>();

  const choose = (name: string) => {
    setSource(name);
    setAcknowledged(false);
    setFailure(undefined);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!source) return;
    setSubmitting(true);
    setFailure(undefined);
    try {
      const { operation } = await api.post<{ operation: Operation }>('/api/refreshes', {
        source,
        target,
        acknowledge: true,
        verify,
        ...(jobs ? { jobs: Number(jobs) } : {}),
      });
      navigate(paths.operation(operation.id));
    } catch (error) {
      setFailure(asApiError(error));
      setSubmitting(false);
    }
  };

  const back = <Link to={paths.environment(target)}>Back to {target}</Link>;
  const applyUpdates = (candidate: RefreshSource) => {
    const current = environment.data;
    if (!current) return null;
    const from = environments.data?.find((e) => e.name === candidate.name);
    if (!candidate.reasons.some((reason) => targetNeedsUpdate(reason, current, from))) return null;
    return (
      <p className="option-fix">
        <Link to={paths.apply(target)}>Apply updates to {target}</Link>
      </p>
    );
  };
  const ready = preview.data !== undefined && !preview.data.refused;
  const { targetReasons, bySource } = splitReasons(sources.data ?? []);

  return (
    <Page title="Refresh database" subtitle={<>Maintain › Move database › Refresh database · target {target}</>}>
      <p>{back}</p>
      {environment.error && <ErrorNotice error={environment.error} />}
      {!allowed && <Notice tone="info">Only project owners and environment managers can refresh an environment.</Notice>}
      {environment.data?.type === 'production' && <Notice tone="info">A production environment is never the target of a refresh.</Notice>}
      {(environment.loading || sources.loading) && <Loading what="the possible sources" />}
      {sources.error && <ErrorNotice error={sources.error} />}
      {sources.data && (
        <form className="refresh-form" onSubmit={(e) => void submit(e)}>
          <p>
            The data of <strong>{target}</strong> is replaced by one consistent copy of the source. What its refresh
            profile says is not copied, and what it does afterwards, is listed in the preview.
          </p>
          {targetReasons.length > 0 && (
            <TargetRefusal target={target} reasons={targetReasons} onStopped={sources.reload} />
          )}
          <SourcePicker sources={bySource} value={source} onChange={choose} fix={applyUpdates} />
          {preview.loading && <Loading what="the preview" />}
          {preview.error && <ErrorNotice error={preview.error} />}
          {source && preview.data && <RefreshPreviewPanel source={source} target={target} preview={preview.data} />}
          {source && ready && (
            <section className="card" aria-labelledby="confirm-heading">
              <h2 id="confirm-heading">Confirm</h2>
              <details className="disclosure">
                <summary>Options</summary>
                <div className="field">
                  <label htmlFor="verify">Verification</label>
                  <select id="verify" value={verify} onChange={(e) => setVerify(e.target.value as Verify)}>
                    <option value="counts">Row counts</option>
                    <option value="checksums">Row counts and checksums (slower)</option>
                  </select>
                </div>
                <div className="field">
                  <label htmlFor="jobs">Parallel copy jobs</label>
                  <input id="jobs" type="number" min={1} max={16} inputMode="numeric" placeholder="Default" value={jobs} onChange={(e) => setJobs(e.target.value)} />
                </div>
              </details>
              <div className="checkbox">
                <input id="acknowledge" type="checkbox" checked={acknowledged} onChange={(e) => setAcknowledged(e.target.checked)} />
                <label htmlFor="acknowledge">
                  I understand that all data in {target} is replaced with the data of {source}.
                </label>
              </div>
              <FormActions
                label="Refresh database"
                disabled={!acknowledged}
                submitting={submitting}
                failure={failure}
                failureTitle="The refresh was not started."
                cancelTo={paths.environment(target)}
              />
            </section>
          )}
        </form>
      )}
    </Page>
  );
}

/**
 * A reason every source has is about the target, not a source (its recurring jobs, an
 * operation running on it, its user's rights): it is said once, above the sources, and not
 * repeated under each.
 */
function splitReasons(sources: readonly RefreshSource[]): { targetReasons: readonly Reason[]; bySource: readonly RefreshSource[] } {
  const key = (reason: Reason) => `${reason.code}\u0000${reason.message}`;
  const first = sources[0];
  // With one source nothing is repeated, and its reasons may well be its own.
  if (!first || sources.length < 2) return { targetReasons: [], bySource: sources };
  const common = new Set(first.reasons.map(key).filter((k) => sources.every((source) => source.reasons.some((reason) => key(reason) === k))));
  if (common.size === 0) return { targetReasons: [], bySource: sources };
  return {
    targetReasons: first.reasons.filter((reason) => common.has(key(reason))),
    bySource: sources.map((source) => ({ ...source, reasons: source.reasons.filter((reason) => !common.has(key(reason))) })),
  };
}

/** Why the target cannot be refreshed from any source now, with what the UI can do about it. */
function TargetRefusal({ target, reasons, onStopped }: { readonly target: string; readonly reasons: readonly Reason[]; readonly onStopped: () => void }) {
  const jobs = reasons.find((reason) => reason.code === 'RECURRING_JOBS_ACTIVE');
  const names = jobs ? (/: (.*)$/.exec(jobs.message)?.[1] ?? '').split(', ').filter(Boolean) : [];
  return (
    <div className="notice notice-danger" role="alert">
      <p className="notice-title">{target} cannot be refreshed from any source now.</p>
      <ReasonList reasons={reasons} />
      {jobs && <StopRecurringJobs environment={target} jobs={names} onStopped={onStopped} />}
    </div>
  );
}

/**
 * Whether a source is refused for a version the target lacks, so that applying a package to
 * the target (Apply updates) is the way forward: older financial reporting, an older
 * release than the source's, or a platform update too old on the target.
 */
function targetNeedsUpdate(reason: Reason, target: Environment, source: Environment | undefined): boolean {
  switch (reason.code) {
    case 'REPORTING_VERSION_OLDER':
      return true;
    case 'RELEASE_MISMATCH':
      return source?.applicationRelease != null && target.applicationRelease !== null && compareVersions(source.applicationRelease, target.applicationRelease) > 0;
    case 'PLATFORM_UPDATE_TOO_OLD':
      return reason.message.startsWith(`${target.name} `);
    default:
      return false;
  }
}
