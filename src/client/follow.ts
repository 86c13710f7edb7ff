import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

export interface Progress {
  /** Called with each new step the workflow reports (its current details). */
  onStep(step: string): void;
}

/**
 * Waits for a run's result while following its current details (the same text the UI shows),
 * so the CLI can draw progress from the workflow itself.
 */
export async function follow<T>(handle: WorkflowHandle, progress: Progress, intervalMs = 1_000): Promise<T> {
  let last = '';
  let done = false;
  const poll = async () => {
    while (!done) {
      try {
        const meta = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
        const step = meta.currentDetails ?? '';
        if (step && step !== last) {
          last = step;
          progress.onStep(step);
        }
      } catch {
        // the run may have closed between two polls; the result says how
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  const polling = poll();
  try {
    return (await handle.result()) as T;
  } finally {
    done = true;
    await polling;
  }
}

/** The one line to show for a failed run or update: the innermost cause, with its type. */
export function failureLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let cause: Error = err;
  while ((cause as { cause?: unknown }).cause instanceof Error) cause = (cause as { cause: Error }).cause;
  const type = cause instanceof ApplicationFailure && cause.type ? ` [${cause.type}]` : '';
  return `${cause.message}${type}`;
}
