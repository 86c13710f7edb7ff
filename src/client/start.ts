import type { WorkflowStartOptions } from '@temporalio/client';
import type { TuttiConfig } from '../config';
import { SA } from '../site/searchAttributes';

export interface TuttiRun {
  workflowType: string;
  workflowId: string;
  input: object;
  /** The run's static summary in the UI: what it does, to what. */
  summary: string;
  /** The site the run works on, for `TuttiSite`; none for fleet-wide runs. */
  site?: string;
}

/**
 * What every run `bin/tutti` starts carries: the task queue, its one input, a static summary and
 * details (what, who, from where) and the search attributes `TuttiOperation`, `TuttiStartedBy`
 * and `TuttiSite` — so the UI shows and finds it like any other.
 */
export function tuttiStartOptions(cfg: TuttiConfig, run: TuttiRun): WorkflowStartOptions<(input: object) => Promise<unknown>> {
  return {
    taskQueue: cfg.temporal.taskQueue,
    workflowId: run.workflowId,
    args: [run.input],
    staticSummary: run.summary,
    staticDetails: `Started by ${cfg.temporal.identity} with bin/tutti`,
    typedSearchAttributes: [
      ...(run.site ? [{ key: SA.site, value: run.site }] : []),
      { key: SA.operation, value: run.workflowType },
      { key: SA.startedBy, value: cfg.temporal.identity },
    ],
  };
}
