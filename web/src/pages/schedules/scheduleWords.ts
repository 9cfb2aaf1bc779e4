import type { Schedule, ScheduleRun } from '../../api/types';

const whenFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** The viewer's own time zone, as the browser knows it (what a new schedule's times are read in unless changed). */
export function viewerTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** "in 3 min", "in 2 h 5 min", "in 3 days"; "now" once it has come. */
export function fromNow(iso: string, now: number): string {
  const minutes = Math.round((Date.parse(iso) - now) / 60_000);
  if (minutes <= 0) return 'now';
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `in ${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return `in ${Math.round(hours / 24)} days`;
}

/** A time in the viewer's zone: "Mon 7 Dec, 02:00". */
export function viewerTime(iso: string): string {
  return whenFormat.format(new Date(iso));
}

/** The next run in the viewer's words: "Mon 7 Dec, 02:00 your time (in 3 h 12 min)". */
export function nextRunWords(schedule: Pick<Schedule, 'nextRunAt' | 'paused'>, now: number): string {
  if (schedule.paused) return 'Paused: it does not run until it is resumed';
  if (!schedule.nextRunAt) return 'No time to come';
  return `${viewerTime(schedule.nextRunAt)} your time (${fromNow(schedule.nextRunAt, now)})`;
}

/** What one run did, in a sentence. */
export function runWords(run: ScheduleRun): string {
  switch (run.outcome) {
    case 'started':
      return `Started refresh #${run.operation ?? '?'}`;
    case 'skipped':
      return `Skipped: ${run.reason ?? 'the target was busy'}`;
    case 'refused':
      return `Refused: ${run.reason ?? run.code ?? 'the preflight refused it'}`;
  }
}
