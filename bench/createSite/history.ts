import type { WorkflowHandle } from '@temporalio/client';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

/** Where one workflow run's time went, read from the event times the server recorded. */
export interface RunBreakdown {
  startedAt: number;
  completedAt: number;
  workflowMs: number;
  /** Activity type → ActivityTaskScheduled → Completed, summed over its calls. */
  activityMs: Map<string, number>;
  activityCalls: Map<string, number>;
  /** ActivityTaskScheduled → Started, summed over all activities: time spent waiting in task queues. */
  activityQueueMs: number;
  /** WorkflowTaskScheduled → Completed, summed: the worker replaying and deciding the next step. */
  workflowTaskMs: number;
  workflowTasks: number;
  /** Workflow time not inside any activity (createSite runs its activities one after another). */
  overheadMs: number;
}

function timeOf(e: HistoryEvent): number {
  const t = e.eventTime;
  if (!t) throw new Error(`history event ${String(e.eventId)} has no time`);
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

export function breakdown(history: History): RunBreakdown {
  const events = history.events ?? [];
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const started = events.find((e) => e.workflowExecutionStartedEventAttributes);
  const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes);
  if (!started || !completed) throw new Error('workflow history has no start or no completion; did the run fail?');
  const r: RunBreakdown = {
    startedAt: timeOf(started),
    completedAt: timeOf(completed),
    workflowMs: timeOf(completed) - timeOf(started),
    activityMs: new Map(),
    activityCalls: new Map(),
    activityQueueMs: 0,
    workflowTaskMs: 0,
    workflowTasks: 0,
    overheadMs: 0,
  };
  let inActivities = 0;
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const scheduled = byId.get(Number(done.scheduledEventId))!;
      const startedEv = byId.get(Number(done.startedEventId));
      const type = scheduled.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      const ms = timeOf(e) - timeOf(scheduled);
      r.activityMs.set(type, (r.activityMs.get(type) ?? 0) + ms);
      r.activityCalls.set(type, (r.activityCalls.get(type) ?? 0) + 1);
      if (startedEv) r.activityQueueMs += timeOf(startedEv) - timeOf(scheduled);
      inActivities += ms;
    }
    const wtDone = e.workflowTaskCompletedEventAttributes;
    if (wtDone) {
      r.workflowTaskMs += timeOf(e) - timeOf(byId.get(Number(wtDone.scheduledEventId))!);
      r.workflowTasks += 1;
    }
  }
  r.overheadMs = r.workflowMs - inActivities;
  return r;
}
