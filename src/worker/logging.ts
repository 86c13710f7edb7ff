import type { ActivityInterceptorsFactory, LogEntry } from '@temporalio/worker';
import { siteOfActivity } from '../site/runs';

/**
 * The worker's log: one JSON object per line on stdout. Activity and workflow lines carry the
 * SDK's attributes (workflowId, runId, workflowType or activityType, namespace, taskQueue) plus
 * `site`, added by the interceptors here and in workflows/interceptors.ts.
 */
export function logLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return JSON.stringify({ time, level: entry.level, message: entry.message, ...entry.meta }, jsonSafe) + '\n';
}

// Errors as their name, message and failure type (messages are already scrubbed of secrets by
// the redacting interceptor); bigints as strings, which JSON.stringify would throw on.
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const { type, cause } = value as Error & { type?: unknown };
    return { name: value.name, message: value.message, ...(typeof type === 'string' ? { type } : {}), ...(cause instanceof Error ? { cause } : {}) };
  }
  return value;
}

/**
 * Adds `site` and `runId` to an activity's log lines, and leaves out its task token: a handle
 * that completes the activity, of no use to a reader.
 */
export function activityLogInterceptor(): ActivityInterceptorsFactory {
  return (ctx) => {
    let site = siteOfActivity(ctx.info.workflowExecution?.workflowId, []);
    return {
      inbound: {
        execute(input, next) {
          site ??= siteOfActivity(undefined, input.args);
          return next(input);
        },
      },
      outbound: {
        getLogAttributes(input, next) {
          const attrs = { ...input };
          delete attrs.taskToken;
          const runId = ctx.info.workflowExecution?.runId;
          return next({ ...attrs, ...(runId ? { runId } : {}), ...(site ? { site } : {}) });
        },
      },
    };
  };
}
