import { useEffect, useRef, useState } from 'react';
import { api, enc } from '../../api/client';
import type { Environment, MirrorRemoved, MirrorStatus } from '../../api/types';
import { Card } from '../../components/Card';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { DetailList } from '../../components/DetailList';
import { ErrorNotice, Loading, Notice } from '../../components/Notice';
import { formatBytes, formatDateTime } from '../../format';
import { useSession } from '../../session';
import { useAction } from '../../useAction';
import { useResource } from '../../useResource';
import { MirrorEnableForm } from './MirrorEnableForm';

/** While the mirror is seeding, its status is read again this often… */
const POLL_MS = 1500;
/** …this many times at most (about five minutes); then the person asks again. */
const MAX_POLLS = 200;

type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

/** An icon and a word for each health, so none is told by colour alone. */
const HEALTH: Readonly<Record<MirrorStatus['health'], { readonly icon: string; readonly label: string; readonly tone: Tone }>> = {
  healthy: { icon: '●', label: 'Healthy', tone: 'success' },
  seeding: { icon: '◐', label: 'Seeding', tone: 'info' },
  paused: { icon: '‖', label: 'Paused', tone: 'info' },
  lagging: { icon: '◔', label: 'Lagging', tone: 'warning' },
  broken: { icon: '✕', label: 'Broken', tone: 'danger' },
  'schema-changed': { icon: '△', label: 'Schema changed', tone: 'warning' },
  'profile-changed': { icon: '△', label: 'Profile changed', tone: 'warning' },
  unreachable: { icon: '○', label: 'Unreachable', tone: 'danger' },
  failed: { icon: '✕', label: 'Failed', tone: 'danger' },
  dropped: { icon: '⊘', label: 'Dropped', tone: 'danger' },
};

/**
 * A sandbox's mirror (DESIGN §8): a database of its source on the sandbox's server, kept
 * current by logical replication with the sandbox's profile applied, that a refresh clones.
 * Everyone sees how it is doing; the project owner (who manages environments) enables,
 * resyncs and disables it, and each of those is audited.
 */
export function MirrorCard({ environment }: { readonly environment: Environment }) {
  const { user } = useSession();
  const sandbox = environment.type === 'sandbox';
  const path = `/api/environments/${enc(environment.name)}/mirror`;
  const mirror = useResource<MirrorStatus>(sandbox ? path : null);
  const { error: actionError, act } = useAction(mirror.reload);
  const [confirming, setConfirming] = useState(false);
  const [removed, setRemoved] = useState<MirrorRemoved>();
  const [polls, setPolls] = useState(0);
  /** A seed that failed and left nothing behind is forgotten: the card says so instead of just showing the form again. */
  const wasSeeding = useRef(false);
  const [seedLost, setSeedLost] = useState(false);

  const data = mirror.data;
  const seeding = data?.state === 'seeding';
  const none = mirror.error?.status === 404;
  // Also while a spare is being made (a worker makes it after it is asked for).
  const changing = seeding || ['missing', 'building', 'taken'].includes(data?.spare?.state ?? '');

  useEffect(() => {
    if (!changing || polls >= MAX_POLLS) return;
    const timer = setTimeout(() => {
      setPolls((n) => n + 1);
      mirror.reload();
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [changing, polls, data, mirror.reload]);

  useEffect(() => {
    if (seeding) wasSeeding.current = true;
    else if (data || none) {
      setSeedLost(none && wasSeeding.current);
      wasSeeding.current = false;
      setPolls(0);
    }
  }, [seeding, data, none]);

  if (!sandbox) return null;
  const owner = user.role === 'owner';

  const resync = () => {
    setRemoved(undefined);
    void act(() => api.post<MirrorStatus>(`${path}/resync`));
  };
  // The spare (a second copy a refresh takes by a rename): kept or not; a worker makes it.
  const keepSpare = (keep: boolean) => {
    setRemoved(undefined);
    void act(() => api.post<MirrorStatus>(`${path}/spare`, { keep }));
  };
  const disable = () => {
    setConfirming(false);
    void act(async () => setRemoved(await api.delete<MirrorRemoved>(path)));
  };

  return (
    <Card title="Mirror">
      {mirror.loading && <Loading what="the mirror" />}
      {mirror.error && !none && <ErrorNotice error={mirror.error} />}
      {removed && <RemovedNotice removed={removed} />}
      {seedLost && <Notice tone="warning">The mirror could not be set up and nothing of it was kept. The audit log says why.</Notice>}
      {none &&
        (owner ? (
          <MirrorEnableForm
            environment={environment.name}
            path={path}
            onEnabled={() => {
              setRemoved(undefined);
              setSeedLost(false);
              mirror.reload();
            }}
          />
        ) : (
          <p className="muted">{environment.name} has no mirror: a refresh copies the whole source.</p>
        ))}
      {data && <MirrorDetails mirror={data} />}
      {data && seeding && polls >= MAX_POLLS && (
        <p>
          Still seeding.{' '}
          <button type="button" className="button" onClick={() => setPolls(0)}>
            Check again
          </button>
        </p>
      )}
      {actionError && <ErrorNotice error={actionError} />}
      {data && owner && (
        <>
          {/* Taking a mirror down while its seed runs would leave what the seed makes after it behind. */}
          {seeding && <p className="hint">Resync and Disable are possible once the seed has ended.</p>}
          <div className="button-row">
            <button type="button" className="button" onClick={resync} disabled={seeding}>
              Resync mirror
            </button>
            <button type="button" className="button" onClick={() => keepSpare(data.spare === null)} disabled={seeding}>
              {data.spare === null ? 'Keep a spare' : 'Remove the spare'}
            </button>
            <button type="button" className="button button-danger" onClick={() => setConfirming(true)} disabled={seeding}>
              Disable mirror
            </button>
          </div>
        </>
      )}
      <ConfirmDialog open={confirming} title={`Disable the mirror of ${environment.name}?`} confirmLabel="Disable mirror" danger onConfirm={disable} onCancel={() => setConfirming(false)}>
        <p>
          The mirror database is removed from {environment.name}'s server, and its replication slot and publication from {data?.source ?? 'the source'}.
          Refreshes copy the whole source again until a mirror is enabled anew. This is recorded in the audit log.
        </p>
      </ConfirmDialog>
    </Card>
  );
}

function MirrorDetails({ mirror }: { readonly mirror: MirrorStatus }) {
  const health = HEALTH[mirror.health];
  const t = mirror.tables;
  const counts = `${t.published.length} replicated, ${t.refreshTime.length} copied at refresh time, ${t.notMirrored.length} not mirrored`;
  return (
    <>
      <p role="status">
        <span className={`badge badge-${health.tone}`}>
          <span aria-hidden="true">{health.icon}</span> {health.label}
        </span>{' '}
        {mirror.usable ? `The next refresh from ${mirror.source} clones this mirror.` : `Not used by a refresh: ${mirror.reason ?? 'no reason given'}.`}
      </p>
      {mirror.warning && <Notice tone="warning">{mirror.warning}</Notice>}
      <DetailList
        items={[
          ['Source', mirror.source],
          ['Lag', mirror.lagBytes === null ? 'not known' : `${formatBytes(mirror.lagBytes)} of source WAL not yet applied`],
          ['WAL kept', mirror.retainedBytes === null ? 'not known' : `${formatBytes(mirror.retainedBytes)} (limit ${formatBytes(mirror.maxLagBytes)})`],
          ['Seeded', mirror.seededAt ? formatDateTime(mirror.seededAt) : 'not yet'],
          ...(mirror.spare ? ([['Spare', spareText(mirror.spare)]] as const) : []),
          ['Tables', counts],
          ...(t.largeObjects > 0 ? ([['Large objects', `${t.largeObjects}, copied at refresh time`]] as const) : []),
          ...(mirror.lastError && !mirror.reason ? ([['Last error', mirror.lastError]] as const) : []),
        ]}
      />
      {t.published.length + t.refreshTime.length + t.notMirrored.length > 0 && (
        <details className="disclosure">
          <summary>Tables of the mirror</summary>
          <TableList title="Replicated" items={t.published.map((table) => ({ table, reason: null }))} />
          <TableList title="Copied at refresh time" items={t.refreshTime} />
          <TableList title="Not mirrored" items={t.notMirrored} />
        </details>
      )}
    </>
  );
}

function TableList({ title, items }: { readonly title: string; readonly items: readonly { readonly table: string; readonly reason: string | null }[] }) {
  if (items.length === 0) return null;
  return (
    <>
      <h3 className="mirror-tables-title">
        {title} ({items.length})
      </h3>
      <ul className="compact-list mirror-tables">
        {items.map(({ table, reason }) => (
          <li key={table}>
            <code>{table}</code>
            {reason && <span className="muted"> — {reason}</span>}
          </li>
        ))}
      </ul>
    </>
  );
}

function RemovedNotice({ removed }: { readonly removed: MirrorRemoved }) {
  const r = removed.removed;
  const what = [r.subscription && 'its subscription', r.slot && 'the replication slot', r.publication && 'the publication', r.database && 'the mirror database'].filter(Boolean);
  return (
    <div className="notice notice-info" role="status">
      <p>
        Mirror disabled; removed: {what.length > 0 ? what.join(', ') : 'nothing was left'}. No replication slot is kept on the source.
      </p>
    </div>
  );
}

/** The spare in a few words: whether the next refresh takes it. */
function spareText(spare: NonNullable<MirrorStatus['spare']>): string {
  if (spare.state === 'ready') return `ready: the next refresh takes it by a rename${spare.lagBytes === null ? '' : ` (${formatBytes(spare.lagBytes)} behind)`}`;
  if (spare.state === 'building') return 'being made from the mirror; until then a refresh copies the mirror';
  if (spare.state === 'taken') return 'taken by a refresh; a new one is made when it has ended';
  if (spare.state === 'failed') return `could not be made (${spare.error ?? 'no reason recorded'}); made again later`;
  return 'none yet: a worker makes it';
}
