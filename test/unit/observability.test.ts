import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { ActivityFailure, ContinueAsNew } from '@temporalio/workflow';
import { ConfigError, loadConfig } from '../../src/config';
import { siteOfActivity, siteOfWorkflowId } from '../../src/site/runs';
import { logLine } from '../../src/worker/logging';
import { backupGauges } from '../../src/worker/metrics';
import { operationResult } from '../../workflows/interceptors';

describe('site of a run', () => {
  it.each([
    ['site/acme', 'acme'],
    ['site/st-marys-choir', 'st-marys-choir'],
    ['verify-backup/acme', 'acme'],
    ['cron/acme-2026-11-28T07:05:00Z', 'acme'],
    ['cron/big-band-2026-11-28T07:05:00.123Z', 'big-band'],
    ['cron/acme', 'acme'],
  ])('%s belongs to %s', (id, site) => expect(siteOfWorkflowId(id)).toBe(site));

  it.each(['fleet-backup/2026-11-28T02:30:00Z', 'platform-check/2026-11-28T02:30:00Z', 'site/', 'site/Acme', 'site/acme/x', 'site/-x', 'acme', ''])('%s belongs to no site', (id) => expect(siteOfWorkflowId(id)).toBeUndefined());

  it('an activity: its workflow ID first, else its first argument’s site or slug', () => {
    expect(siteOfActivity('site/acme', [{ slug: 'other' }])).toBe('acme');
    expect(siteOfActivity('fleet-backup/2026-11-28T02:30:00Z', [{ site: 'beta' }])).toBe('beta');
    expect(siteOfActivity(undefined, [{ slug: 'gamma', host: 'local' }])).toBe('gamma');
    expect(siteOfActivity(undefined, ['gamma'])).toBeUndefined();
    expect(siteOfActivity(undefined, [{ slug: 'NOT A SLUG' }])).toBeUndefined();
    expect(siteOfActivity(undefined, [null])).toBeUndefined();
    expect(siteOfActivity(undefined, [])).toBeUndefined();
  });
});

describe('backup gauges', () => {
  const now = new Date('2026-11-28T10:00:00Z');
  const objects = { db: { bytes: 1000 }, files: { bytes: 234 } } as never;

  it('age is seconds since the newest good backup ended; size is its stored bytes', () => {
    expect(backupGauges({ endedAt: '2026-11-28T09:58:20.400Z', objects }, now)).toEqual({ ageSeconds: 100, missing: 0, sizeBytes: 1234 });
  });
  it('a site without a good backup: missing, age +Inf, size 0', () => {
    expect(backupGauges(undefined, now)).toEqual({ ageSeconds: Infinity, missing: 1, sizeBytes: 0 });
  });
  it('a backup that ends a little in the future (clock skew between hosts) is age 0, not negative', () => {
    expect(backupGauges({ endedAt: '2026-11-28T10:00:05Z', objects }, now).ageSeconds).toBe(0);
  });
});

describe('operation results', () => {
  it.each([
    ['failed', ApplicationFailure.nonRetryable('no', 'SiteNotFound')],
    ['cancelled', new CancelledFailure('stop')],
    ['cancelled', new ActivityFailure('failed', 'x', 'dumpDatabase', undefined, undefined, new CancelledFailure('stop'))],
    ['continued', new ContinueAsNew({ workflowType: 'fleetBackup', arguments: [], headers: {}, taskQueue: 'tutti' })],
  ])('%s', (result, err) => expect(operationResult(err)).toBe(result));

  it('a plain error fails the workflow task, which is retried: no outcome yet', () => {
    expect(operationResult(new TypeError('bug'))).toBeUndefined();
  });
});

describe('log lines', () => {
  it('one JSON object per line: time, level, message, attributes; errors by name, message and type; bigints as strings', () => {
    const err = ApplicationFailure.nonRetryable('database tutti_acme does not exist', 'SiteNotFound');
    const line = logLine({ level: 'WARN', message: 'Activity failed', timestampNanos: 1_764_324_000_123_000_000n, meta: { site: 'acme', workflowId: 'site/acme', error: err, n: 5n } });
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({
      time: '2025-11-28T10:00:00.123Z',
      level: 'WARN',
      message: 'Activity failed',
      site: 'acme',
      workflowId: 'site/acme',
      error: { name: 'ApplicationFailure', message: 'database tutti_acme does not exist', type: 'SiteNotFound' },
      n: '5',
    });
  });
});

describe('metrics configuration', () => {
  it('defaults to 127.0.0.1:9464, refreshed every 60 s', () => {
    expect(loadConfig({ HOME: '/tmp' }).metrics).toEqual({ address: '127.0.0.1:9464', refreshSeconds: 60 });
  });
  it('off disables it; IPv6 in brackets is fine', () => {
    expect(loadConfig({ HOME: '/tmp', TUTTI_METRICS_ADDRESS: 'off' }).metrics.address).toBeNull();
    expect(loadConfig({ HOME: '/tmp', TUTTI_METRICS_ADDRESS: '[::1]:9464' }).metrics.address).toBe('[::1]:9464');
    expect(loadConfig({ HOME: '/tmp', TUTTI_METRICS_ADDRESS: '0.0.0.0:9100' }).metrics.address).toBe('0.0.0.0:9100');
  });
  it.each(['localhost:9464', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '999.1.1.1:9464', 'true', ':9464'])('refuses %s, naming the variable', (v) => {
    expect(() => loadConfig({ HOME: '/tmp', TUTTI_METRICS_ADDRESS: v })).toThrow(ConfigError);
    expect(() => loadConfig({ HOME: '/tmp', TUTTI_METRICS_ADDRESS: v })).toThrow(/^TUTTI_METRICS_ADDRESS=.*IP address and port/);
  });
  it('refresh interval between 5 s and a day', () => {
    expect(() => loadConfig({ HOME: '/tmp', TUTTI_METRICS_REFRESH_SECONDS: '1' })).toThrow(/TUTTI_METRICS_REFRESH_SECONDS/);
    expect(loadConfig({ HOME: '/tmp', TUTTI_METRICS_REFRESH_SECONDS: '300' }).metrics.refreshSeconds).toBe(300);
  });
});
