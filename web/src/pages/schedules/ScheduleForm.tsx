import { type FormEvent, useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { Environment, Schedule } from '../../api/types';
import { ErrorNotice, Loading } from '../../components/Notice';
import { useResource } from '../../useResource';
import { viewerTimezone } from './scheduleWords';

/** Every IANA zone the browser knows, for the time zone field's suggestions. */
const ZONES: readonly string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];

/** Schedule a refresh: target, source, cron expression and time zone; the service checks them as a refresh request. */
export function ScheduleForm({ onAdded }: { readonly onAdded: (schedule: Schedule) => void }) {
  const environments = useResource<Environment[]>('/api/environments');
  const all = environments.data ?? [];
  const [target, setTarget] = useState('');
  const [source, setSource] = useState('');
  const [cron, setCron] = useState('0 2 * * *');
  const [timezone, setTimezone] = useState(viewerTimezone);
  const [error, setError] = useState<ApiError>();
  const [saving, setSaving] = useState(false);

  const targets = all.filter((e) => e.type === 'sandbox');
  const chosenTarget = target || targets[0]?.name || '';
  const sources = all
    .filter((e) => e.name !== chosenTarget)
    .sort((a, b) => Number(b.type === 'production') - Number(a.type === 'production') || a.name.localeCompare(b.name));
  const chosenSource = sources.some((e) => e.name === source) ? source : sources[0]?.name || '';

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(undefined);
    try {
      onAdded(await api.post<Schedule>('/api/schedules', { target: chosenTarget, source: chosenSource, cron, timezone }));
    } catch (reason) {
      if (reason instanceof ApiError) setError(reason);
    } finally {
      setSaving(false);
    }
  };

  if (environments.error) return <ErrorNotice error={environments.error} />;
  if (environments.loading) return <Loading what="the environments" />;
  if (targets.length === 0) return <p className="empty">There is no sandbox to schedule a refresh of.</p>;
  return (
    <form className="form" onSubmit={(e) => void add(e)}>
      <div className="schedule-fields">
        <div className="field">
          <label htmlFor="schedule-target">Sandbox to refresh</label>
          <select id="schedule-target" value={chosenTarget} onChange={(e) => setTarget(e.target.value)}>
            {targets.map((e) => (
              <option key={e.name} value={e.name}>
                {e.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="schedule-source">Copy from</label>
          <select id="schedule-source" value={chosenSource} onChange={(e) => setSource(e.target.value)}>
            {sources.map((e) => (
              <option key={e.name} value={e.name}>
                {e.name} ({e.type})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="schedule-cron">When (cron expression)</label>
          <input id="schedule-cron" required autoComplete="off" spellCheck={false} aria-describedby="schedule-cron-hint" value={cron} onChange={(e) => setCron(e.target.value)} />
          <span id="schedule-cron-hint" className="hint">
            Five fields: minute, hour, day of the month, month, day of the week. <code>0 2 * * *</code> is 02:00 every day, <code>30 6 * * 1-5</code> 06:30
            Monday to Friday, <code>0 * * * *</code> every hour.
          </span>
        </div>
        <div className="field">
          <label htmlFor="schedule-timezone">Time zone</label>
          <input id="schedule-timezone" required autoComplete="off" list="schedule-zones" aria-describedby="schedule-timezone-hint" value={timezone} onChange={(e) => setTimezone(e.target.value)} />
          <datalist id="schedule-zones">
            {ZONES.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
          <span id="schedule-timezone-hint" className="hint">
            The times are read in this zone (yours is {viewerTimezone()}), summer time included.
          </span>
        </div>
      </div>
      <p className="hint">
        Each run is a refresh requested as you, checked as one you start by hand; when {chosenTarget || 'the sandbox'} is busy the run is skipped.
      </p>
      {error && <ErrorNotice error={error} title="The schedule was not added." />}
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={saving || chosenTarget === '' || chosenSource === ''}>
          {saving ? 'Adding…' : 'Schedule refresh'}
        </button>
      </div>
    </form>
  );
}
