import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createDocker } from '../../src/infra/docker';
import { platformNames } from '../../src/site/names';
import { runPlatformCheck } from '../../src/client/platform';
import type { PlatformReport } from '../../workflows/checkPlatform';
import { startWorker, testConfig, type RunningWorker } from '../helpers/platform';

describe('checkPlatform against the real components', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
  });
  afterAll(async () => {
    await w.stop();
  });

  it('reports every component healthy with its version', async () => {
    const report = await runPlatformCheck(w.client, w.cfg);
    expect(report.ok).toBe(true);
    const byName = Object.fromEntries(report.components.map((c) => [c.component, c]));
    expect(Object.keys(byName).sort()).toEqual(['docker', 'mariadb', 's3', 'varnish']);
    expect(byName.mariadb!.version).toMatch(/^10\.11\./);
    expect(byName.varnish!.version).toMatch(/varnish-7/);
    expect(byName.docker!.version).toMatch(/^\d+\.\d+/);
    expect(byName.s3!.detail).toContain(w.cfg.s3.bucket);
  });

  it('fails non-retryably naming a stopped Varnish and what to do', async () => {
    const docker = createDocker(w.cfg.docker);
    const varnish = platformNames(w.cfg.prefix).varnishContainer;
    await docker.getContainer(varnish).stop({ t: 1 });
    try {
      const handle = await w.client.workflow.start('checkPlatform', { taskQueue: w.cfg.temporal.taskQueue, workflowId: `test-broken-varnish-${Date.now()}`, args: [{}] });
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('ComponentUnavailable');
      expect(cause.nonRetryable).toBe(true);
      expect(cause.message).toMatch(new RegExp(`varnish: ${varnish}: container is exited; start it with npm run up`));
      const report = cause.details?.[0] as PlatformReport;
      expect(report.components.filter((c) => !c.ok).map((c) => c.component)).toEqual(['varnish']);
    } finally {
      await docker.getContainer(varnish).start();
    }
  });
});

describe('checkPlatform with S3 unreachable', () => {
  it('names S3 and the next step, without hanging', async () => {
    const cfg = testConfig({ TUTTI_S3_ENDPOINT: 'http://127.0.0.1:9' });
    const w = await startWorker(cfg);
    try {
      const report = await runPlatformCheck(w.client, cfg);
      expect(report.ok).toBe(false);
      const s3 = report.components.find((c) => c.component === 's3')!;
      expect(s3.ok).toBe(false);
      expect(s3.detail).toMatch(/127\.0\.0\.1:9 not answering/);
      expect(s3.hint).toMatch(/npm run up/);
    } finally {
      await w.stop();
    }
  });
});
