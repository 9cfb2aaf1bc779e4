import type { Schedule } from '../../api/types';
import { Card } from '../../components/Card';
import { ScheduleRuns } from './ScheduleRuns';
import { nextRunWords } from './scheduleWords';

export type ScheduleAction = 'pause' | 'resume' | 'remove';

interface ScheduleCardProps {
  readonly schedule: Schedule;
  readonly now: number;
  /** Changes when the runs are to be read again. */
  readonly version: number;
  /** Whether the viewer may pause, resume and remove it. */
  readonly canChange: boolean;
  readonly onAsk: (action: ScheduleAction, schedule: Schedule) => void;
}

/** One schedule: when it runs (next in the viewer's time), as whom, and what its latest runs did. */
export function ScheduleCard({ schedule, now, version, canChange, onAsk }: ScheduleCardProps) {
  const label = `schedule #${schedule.id}`;
  const actions = canChange && (
    <div className="button-row schedule-actions">
      <button type="button" className="button" onClick={() => onAsk(schedule.paused ? 'resume' : 'pause', schedule)}>
        {schedule.paused ? 'Resume' : 'Pause'}
        <span className="visually-hidden"> {label}</span>
      </button>
      <button type="button" className="button button-quiet" onClick={() => onAsk('remove', schedule)}>
        Remove<span className="visually-hidden"> {label}</span>
      </button>
    </div>
  );
  return (
    <Card title={`#${schedule.id}: ${schedule.target} from ${schedule.source}`} actions={actions}>
      <dl className="details">
        <div>
          <dt>When</dt>
          <dd>
            {schedule.description}, {schedule.timezone} time <code className="nowrap">{schedule.cron}</code>
          </dd>
        </div>
        <div>
          <dt>Next run</dt>
          <dd>{nextRunWords(schedule, now)}</dd>
        </div>
        <div>
          <dt>Runs as</dt>
          <dd>{schedule.createdByKind === 'user' ? schedule.createdBy : `${schedule.createdBy} (${schedule.createdOrigin})`}</dd>
        </div>
        <div>
          <dt>Recent runs</dt>
          <dd>
            <ScheduleRuns id={schedule.id} version={version} />
          </dd>
        </div>
      </dl>
    </Card>
  );
}
