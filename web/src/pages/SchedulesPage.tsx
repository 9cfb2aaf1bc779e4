import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Schedule } from '../api/types';
import { Card } from '../components/Card';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { canMaintain, useSession } from '../session';
import { useAction } from '../useAction';
import { useNow } from '../useNow';
import { useResource } from '../useResource';
import { ScheduleCard, type ScheduleAction } from './schedules/ScheduleCard';
import { ScheduleForm } from './schedules/ScheduleForm';
import { nextRunWords } from './schedules/scheduleWords';

/** How often the page reads the schedules and their runs again while it is open. */
const RELOAD_MS = 10_000;

const QUESTIONS: Readonly<Record<ScheduleAction, { readonly title: string; readonly confirm: string; readonly body: string }>> = {
  pause: { title: 'Pause', confirm: 'Pause', body: 'It does not run until it is resumed.' },
  resume: { title: 'Resume', confirm: 'Resume', body: 'It runs again from its next time on; the times that passed while it was paused do not run.' },
  remove: { title: 'Remove', confirm: 'Remove', body: 'It no longer runs, and its run log goes with it. The refreshes it started stay as they are.' },
};

export function SchedulesPage() {
  const { user } = useSession();
  const may = canMaintain(user.role);
  const schedules = useResource<Schedule[]>('/api/schedules');
  const { reload } = schedules;
  const { error, act } = useAction(reload);
  const [asked, setAsked] = useState<{ readonly action: ScheduleAction; readonly schedule: Schedule }>();
  const [added, setAdded] = useState<Schedule>();
  const [version, setVersion] = useState(0);
  const now = useNow(true);

  useEffect(() => {
    const timer = setInterval(() => {
      reload();
      setVersion((v) => v + 1);
    }, RELOAD_MS);
    return () => clearInterval(timer);
  }, [reload]);

  const confirm = () => {
    if (!asked) return;
    const { action, schedule } = asked;
    setAsked(undefined);
    if (action === 'remove' && added?.id === schedule.id) setAdded(undefined);
    void act(() => (action === 'remove' ? api.delete(`/api/schedules/${schedule.id}`) : api.post<Schedule>(`/api/schedules/${schedule.id}/${action}`)));
  };

  const question = asked && QUESTIONS[asked.action];
  return (
    <Page title="Schedules" subtitle="Refreshes that run by themselves at the times you choose, each as the person who scheduled it and checked like one started by hand.">
      {may ? (
        <Card title="Schedule a refresh">
          <ScheduleForm
            onAdded={(schedule) => {
              setAdded(schedule);
              reload();
            }}
          />
        </Card>
      ) : (
        <Notice tone="info">Project owners and environment managers schedule refreshes; you can see when they run.</Notice>
      )}
      {added && (
        <div className="notice notice-info" role="status">
          Schedule #{added.id} added: {added.target} is refreshed from {added.source} {added.description}. Next run: {nextRunWords(added, now)}.
        </div>
      )}
      {error && <ErrorNotice error={error} />}
      {schedules.error && <ErrorNotice error={schedules.error} />}
      {schedules.loading && <Loading what="the schedules" />}
      {schedules.data && schedules.data.length === 0 && <p className="empty">No refresh is scheduled.</p>}
      {schedules.data?.map((schedule) => (
        <ScheduleCard key={schedule.id} schedule={schedule} now={now} version={version} canChange={may} onAsk={(action, s) => setAsked({ action, schedule: s })} />
      ))}
      <ConfirmDialog
        open={asked !== undefined}
        title={asked && question ? `${question.title} schedule #${asked.schedule.id}?` : ''}
        confirmLabel={question?.confirm ?? ''}
        danger={asked?.action === 'remove'}
        onConfirm={confirm}
        onCancel={() => setAsked(undefined)}
      >
        {asked && question && (
          <p>
            The refresh of {asked.schedule.target} from {asked.schedule.source} {asked.schedule.description}. {question.body}
          </p>
        )}
      </ConfirmDialog>
    </Page>
  );
}
