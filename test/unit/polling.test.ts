import { asyncLocalStorage, CancelledFailure, Context, type Info } from '@temporalio/activity';
import { ApplicationFailure, noopMetricMeter } from '@temporalio/common';
import { pollUntil } from '../../activities/polling';
import { FailureType } from '../../src/site/errors';

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Runs `fn` as an activity would run: its own Context, heartbeats recorded, cancellable as the server would. */
function asActivity<T>(fn: () => Promise<T>, startToCloseTimeoutMs = 900_000) {
  const abort = new AbortController();
  let reject: (err: unknown) => void = () => undefined;
  const cancelled = new Promise<never>((_r, rej) => (reject = rej));
  cancelled.catch(() => undefined);
  const beats: unknown[] = [];
  const info = { startToCloseTimeoutMs, currentAttemptScheduledTimestampMs: Date.now(), attempt: 1 } as Info;
  // The worker's own way of making a Context (its constructor is internal; @temporalio/testing is not a dependency here).
  const Make = Context as unknown as new (...args: unknown[]) => Context;
  const ctx = new Make(info, cancelled, abort.signal, (d: unknown) => beats.push(d), undefined, quiet, noopMetricMeter, {});
  return {
    result: asyncLocalStorage.run(ctx, fn),
    beats,
    cancel() {
      abort.abort('NOT_FOUND');
      reject(new CancelledFailure('NOT_FOUND'));
    },
  };
}

const opts = { what: 'http://acme.example/ through Varnish', expected: 'HTTP 200 showing the title "Acme"', intervalMs: 20, type: FailureType.RouteCheckFailed, step: 'checking' };

describe('pollUntil, the checks’ one polling loop', () => {
  it('fails once its deadline passes, non-retryable, with what it expected and saw', async () => {
    const run = asActivity(() => pollUntil({ ...opts, deadlineMs: 300 }, async () => ({ saw: 'HTTP 500 titled "Error"' })));
    const err = (await run.result.catch((e: unknown) => e)) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.nonRetryable).toBe(true);
    expect(err.type).toBe('RouteCheckFailed');
    expect(err.message).toMatch(/^http:\/\/acme\.example\/ through Varnish: expected HTTP 200 showing the title "Acme", saw HTTP 500 titled "Error" \(for \d+ s\)$/);
    expect(run.beats.length).toBeGreaterThan(3);
  });

  it('keeps its deadline inside the activity’s own start-to-close timeout', async () => {
    const started = Date.now();
    const run = asActivity(() => pollUntil({ ...opts, deadlineMs: 60_000 }, async () => ({ saw: 'HTTP 502' })), 6_000);
    await expect(run.result).rejects.toThrow(/saw HTTP 502/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('stops probing as soon as the activity is cancelled or its run has ended', async () => {
    let probes = 0;
    const run = asActivity(() => pollUntil({ ...opts, deadlineMs: 60_000 }, async () => (probes++, { saw: 'HTTP 500' })));
    await new Promise((r) => setTimeout(r, 200));
    run.cancel();
    await expect(run.result).rejects.toBeInstanceOf(CancelledFailure);
    const atCancel = probes;
    await new Promise((r) => setTimeout(r, 200));
    expect(probes).toBe(atCancel);
  });

  it('returns what the probe found ready; a probe’s ApplicationFailure ends the wait at once', async () => {
    let n = 0;
    await expect(asActivity(() => pollUntil({ ...opts, deadlineMs: 5_000 }, async () => (++n < 3 ? { saw: 'not yet' } : { ready: n }))).result).resolves.toBe(3);
    const gone = asActivity(() => pollUntil({ ...opts, deadlineMs: 5_000 }, async () => { throw ApplicationFailure.nonRetryable('container exited', 'ContainerUnhealthy'); }));
    await expect(gone.result).rejects.toThrow('container exited');
  });
});
