import { CancelledFailure, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { FailureType } from '../src/site/errors';

/** One look at the thing awaited: its value when ready, else what was seen instead. An ApplicationFailure it throws ends the wait at once (nothing to wait for). */
export type Probe<T> = (signal: AbortSignal) => Promise<{ ready: T } | { saw: string }>;

export interface PollOptions {
  /** What is awaited, as a subject: `http://acme.example/ through Varnish`. */
  what: string;
  /** What would pass, for the message: `HTTP 200 showing the title "Acme"`. */
  expected: string;
  /** Given up after this long, or sooner when the activity's own start-to-close timeout would end it first. */
  deadlineMs: number;
  intervalMs?: number;
  type: FailureType;
  /** Shown in the UI's Pending Activities as the heartbeat's step. */
  step: string;
}

/** Room left before the activity's start-to-close timeout for the failure itself to be reported. */
const REPORT_MARGIN_MS = 5_000;

/**
 * The one polling loop of the checks: heartbeats while it waits (so a slow check is never a
 * heartbeat timeout), stops as soon as the activity is cancelled or its run has ended (the
 * heartbeat delivers that), and when the deadline passes fails non-retryably with
 * "<what>: expected …, saw …" — the real reason, on the first attempt, as the workflow's failure.
 */
export async function pollUntil<T>(opts: PollOptions, probe: Probe<T>): Promise<T> {
  const ctx = Context.current();
  const started = Date.now();
  const ownLimit = ctx.info.startToCloseTimeoutMs - (started - ctx.info.currentAttemptScheduledTimestampMs) - REPORT_MARGIN_MS;
  const deadlineMs = Math.max(1_000, Math.min(opts.deadlineMs, ownLimit));
  const beat = () => ctx.heartbeat({ step: opts.step, seconds: Math.round((Date.now() - started) / 1000) });
  const timer = setInterval(beat, 2_000);
  let saw: string;
  try {
    for (;;) {
      beat();
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`${opts.what}: check cancelled (${String(ctx.cancellationSignal.reason ?? 'cancelled')})`);
      try {
        const r = await probe(ctx.cancellationSignal);
        if ('ready' in r) return r.ready;
        saw = r.saw;
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        if (ctx.cancellationSignal.aborted) continue;
        saw = (err as Error).message;
      }
      const elapsed = Date.now() - started;
      if (elapsed >= deadlineMs) {
        throw ApplicationFailure.create({
          message: `${opts.what}: expected ${opts.expected}, saw ${saw} (for ${Math.round(elapsed / 1000)} s)`,
          type: opts.type,
          nonRetryable: true,
          details: [{ expected: opts.expected, saw, ms: elapsed }],
        });
      }
      await Promise.race([new Promise((r) => setTimeout(r, Math.min(opts.intervalMs ?? 250, deadlineMs - elapsed))), ctx.cancelled.catch(() => undefined)]);
    }
  } finally {
    clearInterval(timer);
  }
}
