import { ContinueAsNew, isCancellation, metricMeter, TemporalFailure, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { siteOfWorkflowId } from '../src/site/runs';
import { SA } from '../src/site/searchAttributes';

/**
 * Workflow interceptors of every Tutti worker (a bundle module, registered with
 * `interceptors.workflowModules` or `bundleWorkflowCode({ workflowInterceptorModules })`):
 * each run counts its outcome once, and its log lines name its site.
 */

export type OperationResult = 'completed' | 'failed' | 'cancelled' | 'continued';

/**
 * What a run's end means for the operations counter. An error that is no Temporal failure fails
 * the workflow task, not the run (the task is retried): that is not an outcome, so undefined.
 */
export function operationResult(err: unknown): OperationResult | undefined {
  if (err instanceof ContinueAsNew) return 'continued';
  if (isCancellation(err)) return 'cancelled';
  if (err instanceof TemporalFailure) return 'failed';
  return undefined;
}

/** The run's site: its TuttiSite search attribute once tagged, else what its workflow ID says. */
function runSite(): string | undefined {
  const info = workflowInfo();
  return info.typedSearchAttributes.get(SA.site) ?? siteOfWorkflowId(info.workflowId);
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  // The SDK's workflow meter records nothing while replaying, so a run is counted once however often it replays.
  const operations = metricMeter.createCounter('tutti_operations_total', undefined, 'Tutti workflow runs by operation (workflow type) and result');
  const count = (result: OperationResult | undefined) => {
    if (result) operations.add(1, { operation: workflowInfo().workflowType, result });
  };
  return {
    inbound: [
      {
        async execute(input, next) {
          try {
            const out = await next(input);
            count('completed');
            return out;
          } catch (err) {
            count(operationResult(err));
            throw err;
          }
        },
      },
    ],
    outbound: [
      {
        getLogAttributes(input, next) {
          const site = runSite();
          return next(site ? { ...input, site } : input);
        },
      },
    ],
  };
};
