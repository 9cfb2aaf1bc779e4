import { type FormEvent, useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { Environment, MirrorStatus } from '../../api/types';
import { ErrorNotice, Loading } from '../../components/Notice';
import { parseByteSize } from '../../format';
import { useResource } from '../../useResource';

interface MirrorEnableFormProps {
  /** The sandbox the mirror is for. */
  readonly environment: string;
  /** Its mirror's API path. */
  readonly path: string;
  readonly onEnabled: () => void;
}

/** No mirror yet: choose its source (production first) and, if wanted, its lag limit. */
export function MirrorEnableForm({ environment, path, onEnabled }: MirrorEnableFormProps) {
  const environments = useResource<Environment[]>('/api/environments');
  const sources = (environments.data ?? [])
    .filter((e) => e.name !== environment)
    .sort((a, b) => Number(b.type === 'production') - Number(a.type === 'production') || a.name.localeCompare(b.name));
  const [chosen, setChosen] = useState('');
  const [lag, setLag] = useState('');
  const [lagInvalid, setLagInvalid] = useState(false);
  const [spare, setSpare] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [saving, setSaving] = useState(false);
  const source = chosen || sources[0]?.name || '';

  const enable = async (event: FormEvent) => {
    event.preventDefault();
    const maxLagBytes = lag.trim() === '' ? undefined : parseByteSize(lag);
    setLagInvalid(lag.trim() !== '' && maxLagBytes === undefined);
    if (lag.trim() !== '' && maxLagBytes === undefined) return;
    setSaving(true);
    setError(undefined);
    try {
      await api.post<MirrorStatus>(path, { source, ...(maxLagBytes === undefined ? {} : { maxLagBytes }), ...(spare ? { spare } : {}) });
      onEnabled();
    } catch (reason) {
      if (reason instanceof ApiError) setError(reason);
    } finally {
      setSaving(false);
    }
  };

  if (environments.error) return <ErrorNotice error={environments.error} />;
  if (environments.loading) return <Loading what="the environments" />;
  return (
    <form className="form" onSubmit={(e) => void enable(e)}>
      <p>
        {environment} has no mirror: a refresh copies the whole source. A mirror keeps a masked copy of the source on {environment}'s server, current
        by logical replication, and a refresh clones it in seconds.
      </p>
      <div className="field">
        <label htmlFor="mirror-source">Source to mirror</label>
        <select id="mirror-source" value={source} onChange={(e) => setChosen(e.target.value)}>
          {sources.map((e) => (
            <option key={e.name} value={e.name}>
              {e.name} ({e.type})
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="mirror-lag">Lag limit (optional)</label>
        <input
          id="mirror-lag"
          autoComplete="off"
          inputMode="text"
          placeholder="1 GiB"
          aria-describedby="mirror-lag-hint"
          aria-invalid={lagInvalid}
          value={lag}
          onChange={(e) => setLag(e.target.value)}
        />
        <span id="mirror-lag-hint" className="hint">
          {lagInvalid ? 'That is no size: give one such as 512 MiB or 4 GiB. ' : ''}
          Source WAL the mirror may hold: past half of it you are warned, past all of it the mirror is dropped. Empty: the service's default.
        </span>
      </div>
      <div className="field">
        <label className="checkbox">
          <input type="checkbox" checked={spare} onChange={(e) => setSpare(e.target.checked)} aria-describedby="mirror-spare-hint" />
          Keep a spare
        </label>
        <span id="mirror-spare-hint" className="hint">
          A second copy beside the mirror, current by its own replication slot: a refresh takes it by a rename, in seconds whatever the size. It costs a
          second database on {environment}'s server and a second slot reading the source's WAL.
        </span>
      </div>
      {error && <ErrorNotice error={error} title="The mirror was not enabled." />}
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={saving || source === ''}>
          {saving ? 'Enabling…' : 'Enable mirror'}
        </button>
      </div>
    </form>
  );
}
