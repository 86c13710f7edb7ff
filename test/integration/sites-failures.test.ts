import { execFileSync } from 'node:child_process';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { createDocker } from '../../src/infra/docker';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { inventory, NOTHING } from '../helpers/sites';

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause: unknown = (err as WorkflowFailedError).cause;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const FAILING_INSTALL_IMAGE = 'tuttitest/wordpress:failing-install';

/** The php8.2 image whose installer exits 1: a platform install that fails after the DB, network and container exist. */
function buildFailingInstallImage(): void {
  const dockerfile = [
    'FROM tutti/wordpress:php8.2-bookworm',
    `RUN printf '%s\\n' '<?php' 'fwrite(STDERR, "tutti-wp: install failed on purpose\\n");' 'exit(1);' > /usr/local/bin/tutti-wp`,
    'LABEL tutti.managed=true',
  ].join('\n');
  execFileSync('docker', ['build', '-q', '-t', FAILING_INSTALL_IMAGE, '-'], { input: dockerfile, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
}

describe('createSite failures leave nothing behind', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    buildFailingInstallImage();
    w = await startWorker();
  });
  afterAll(async () => {
    await w.stop();
    await createDocker(w.cfg.docker).getImage(FAILING_INSTALL_IMAGE).remove().catch(() => undefined);
  });

  it('a broken image: ContainerUnhealthy, nothing left', async () => {
    const cause = await failureOf((await startCreateSite(w.client, w.cfg, { domains: ['broken.example'], image: 'tutti/wordpress:broken' })).result());
    expect(cause.type).toBe('ContainerUnhealthy');
    expect(cause.message).toMatch(/HTTP 500/);
    expect(await inventory(w.cfg, 'broken')).toEqual(NOTHING);
  });

  it('a failing install: InstallFailed with the output tail, nothing left', async () => {
    const cause = await failureOf((await startCreateSite(w.client, w.cfg, { domains: ['failing.example'], image: FAILING_INSTALL_IMAGE })).result());
    expect(cause.type).toBe('InstallFailed');
    expect(cause.message).toMatch(/install failed on purpose/);
    expect(await inventory(w.cfg, 'failing')).toEqual(NOTHING);
  });

  it('an image that does not exist: fails, nothing left', async () => {
    const cause = await failureOf((await startCreateSite(w.client, w.cfg, { domains: ['noimage.example'], image: 'tutti/wordpress:does-not-exist' })).result());
    expect(cause.message).toMatch(/tutti\/wordpress:does-not-exist is not on this Docker host/);
    expect(await inventory(w.cfg, 'noimage')).toEqual(NOTHING);
  });

  it('a domain another site owns: DomainTaken, that site untouched, nothing of the new one', async () => {
    await (await startCreateSite(w.client, w.cfg, { domains: ['owner.example'], title: 'Owner' })).result();
    const before = await inventory(w.cfg, 'owner');
    const cause = await failureOf((await startCreateSite(w.client, w.cfg, { domains: ['thief.example', 'owner.example'] })).result());
    expect(cause.type).toBe('DomainTaken');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/owner\.example already belongs to site owner/);
    expect(await inventory(w.cfg, 'thief')).toEqual(NOTHING);
    expect(await inventory(w.cfg, 'owner')).toEqual(before);
    const exists = await failureOf((await startCreateSite(w.client, w.cfg, { domains: ['other.example'], slug: 'owner' })).result());
    expect(exists.type).toBe('SiteExists');
    expect(await inventory(w.cfg, 'owner')).toEqual(before);
    await (await startDeleteSite(w.client, w.cfg, { site: 'owner' })).result();
  });
});
