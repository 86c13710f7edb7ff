import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { Readable, Writable } from 'node:stream';

/** What long backup activities heartbeat: readable in the UI's pending activity and by `tutti backup create`. */
export interface TransferProgress {
  step: string;
  bytesDone: number;
  bytesTotal?: number;
  /** Set once the step's work is done: a retry after a lost completion returns it instead of redoing the work. */
  result?: unknown;
}

/** A transfer with no new bytes for this long is stuck (a lock wait, a hung engine): it fails and is retried. */
const STALL_MS = 10 * 60_000;

/**
 * Heartbeats `{ step, bytesDone, bytesTotal }` every second while `streams` flow, and ties them
 * to the activity: cancellation or a stall destroys every stream, so the pipeline fails at once
 * and nothing half-done is left flowing.
 */
export function transfer(step: string, bytes: () => number, streams: (Readable | Writable)[], bytesTotal?: number) {
  const ctx = Context.current();
  let last = -1;
  let lastChange = Date.now();
  const fail = (err: Error) => {
    for (const s of streams) s.destroy(err);
  };
  const onCancel = () => fail(ctx.cancellationSignal.reason instanceof Error ? ctx.cancellationSignal.reason : new CancelledFailure('cancelled'));
  ctx.cancellationSignal.addEventListener('abort', onCancel);
  const timer = setInterval(() => {
    const done = bytes();
    if (done !== last) {
      last = done;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > STALL_MS) {
      fail(new Error(`${step}: no progress for ${STALL_MS / 60_000} minutes at ${done} bytes`));
    }
    ctx.heartbeat({ step, bytesDone: done, bytesTotal } satisfies TransferProgress);
  }, 1_000);
  return {
    stop() {
      clearInterval(timer);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
    },
    /** The cancellation to throw instead of a stream error, when the activity was cancelled. */
    cancellation(): unknown {
      return ctx.cancellationSignal.aborted ? (ctx.cancellationSignal.reason ?? new CancelledFailure('cancelled')) : undefined;
    },
  };
}

/** Heartbeats a finished step's result, so a retry (worker lost before it reported) can reuse it. */
export function heartbeatResult(step: string, bytesDone: number, result: unknown): void {
  Context.current().heartbeat({ step, bytesDone, result } satisfies TransferProgress);
}

/** The result an earlier attempt heartbeated, if any. */
export function earlierResult<T>(): T | undefined {
  const d = Context.current().info.heartbeatDetails as TransferProgress | undefined;
  return d?.result as T | undefined;
}

/** Heartbeats `{ step }` every second while `work` runs: for steps without a byte count (row counts, clearing a volume). */
export async function heartbeatDuring<T>(step: string, work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat({ step, bytesDone: 0 } satisfies TransferProgress);
  const timer = setInterval(() => ctx.heartbeat({ step, bytesDone: 0 } satisfies TransferProgress), 1_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
