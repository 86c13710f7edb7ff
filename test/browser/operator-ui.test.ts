import type { Client } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { pendingMigration, startMigrateSite } from '../../src/client/migrate';
import { startDeleteSite } from '../../src/client/sites';
import { createDocker } from '../../src/infra/docker';
import { httpGet, waitUntil } from '../../src/infra/wait';
import { siteWorkflowId } from '../../src/site/names';
import { SA } from '../../src/site/searchAttributes';
import { WorkerProcess } from '../helpers/workerProcess';
import { exportSite } from '../helpers/exportSite';
import { testClient, testConfig } from '../helpers/platform';
import { inventory } from '../helpers/sites';
import { readmeUi, savedQuery, startExample, updateExample } from '../helpers/readme';
import { launch, TemporalUi } from './ui';

const cfg = testConfig();
const docker = createDocker(cfg.docker);
const ui = readmeUi();
const UI_BASE = `http://127.0.0.1:${process.env.TUTTI_TEMPORAL_UI_PORT ?? '8243'}`;
const get = (host: string) => httpGet(`http://127.0.0.1:${cfg.varnish.httpPort}/`, host);

describe('the Temporal Web UI as the operators use it (Chromium, headless)', () => {
  let browser: Browser;
  let web: TemporalUi;
  let worker: WorkerProcess;
  let client: Client;
  let dir: string;
  const create = startExample(ui, 'createSite');
  const createInput = create.input as { domains: string[]; title: string };
  const slug = create.workflowId.replace(/^site\//, '');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tutti-ui-'));
    worker = new WorkerProcess(cfg, 'browser-ui');
    await worker.start();
    client = await testClient(cfg);
    await removeSites();
    browser = await launch();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    web = new TemporalUi(page, UI_BASE, cfg.temporal.namespace);
  });

  /** Ends and deletes the sites this suite makes (left over by an interrupted run, or made by it). */
  async function removeSites(): Promise<void> {
    for (const site of [slug, 'moved']) {
      const handle = client.workflow.getHandle(siteWorkflowId(site));
      if ((await handle.describe().catch(() => undefined))?.status.name === 'RUNNING') await handle.terminate('browser test cleanup');
      if ((await inventory(cfg, site)).registered) await (await startDeleteSite(client, cfg, { site })).result();
    }
  }

  afterAll(async () => {
    await browser?.close();
    if (client) await removeSites();
    await worker?.stop();
    await client?.connection.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts createSite from the Start Workflow form with the README's example, and the site answers through Varnish", async () => {
    await web.startWorkflow(ui.taskQueue, create, 'start-createSite-form');
    const handle = client.workflow.getHandle(create.workflowId);
    const described = await handle.describe();
    expect(described.type).toBe('createSite');
    await handle.result();
    // the form sets no search attribute of Tutti's: the run tags itself with its starter's identity
    const startedBy = (await handle.describe()).typedSearchAttributes.get(SA.startedBy);
    expect(startedBy).toBe('anonymous'); // the dev server's UI has no login, and sends no identity

    const answer = await get(createInput.domains[0]!);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(createInput.title);

    await web.page.reload();
    await web.page.getByText('Completed', { exact: true }).first().waitFor({ timeout: 30_000 });
    await web.shot('createSite-completed');
  });

  it("finds the run by the site's search attribute with the README's saved query", async () => {
    await web.findWorkflows(savedQuery(ui, 'every run for site acme'));
    // the UI's list is eventually consistent with the run's search attributes: wait for the row
    const listed = await waitUntil('the run of acme in the list', async () => {
      const ids = await web.listedWorkflowIds();
      return ids.length > 0 ? ids : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    expect(listed).toContain(create.workflowId);
    // every run of the site (its crons too), and nothing of the other site in the namespace
    for (const id of listed) expect(id).toMatch(new RegExp(`^(site|cron|verify-backup)/${slug}($|-)`));
    await web.shot('runs-of-site-acme');
  });

  it('approves a waiting migration from the run page with Send Update, and the site goes live', async () => {
    const source = await exportSite(cfg, docker, slug, dir);
    await startMigrateSite(client, cfg, { domains: ['moved.example'], slug: 'moved', source: { db: { path: source.db }, files: { path: source.files } } });
    await waitUntil('migration awaiting approval', async () => ((await pendingMigration(client, 'moved'))?.stage === 'awaiting-approval' ? true : undefined), { timeoutMs: 240_000, intervalMs: 1000 });
    expect((await get('moved.example')).status).toBe(404);

    await web.findWorkflows(savedQuery(ui, 'migrations waiting for approval'));
    await web.openRun(siteWorkflowId('moved'));
    // what the run says about itself: the CLI's static summary and the workflow's current details
    await web.userMetadata(['Migrate moved.example into site moved', `Started by ${cfg.temporal.identity} with bin/tutti`, 'moved: awaiting-approval — check']);
    await web.shot('migrateSite-awaiting-approval');
    // the validator refuses a rejection without a reason: the UI shows why, the migration keeps waiting
    await web.sendUpdate({ name: 'rejectMigration', inputText: '{}' }, { shot: 'rejectMigration-without-reason', refusedWith: /a reason is required to reject a migration/ });
    expect((await pendingMigration(client, 'moved'))?.stage).toBe('awaiting-approval');
    const picked = await web.sendUpdate(updateExample(ui, 'approveMigration'), { shot: 'approveMigration-dialog' });
    expect(picked).toContain('Approve the migration'); // the update's description, declared by the worker

    const result = (await client.workflow.getHandle(siteWorkflowId('moved')).result()) as { outcome: string };
    expect(result.outcome).toBe('live');
    const live = await get('moved.example');
    expect(live.status).toBe(200);
    expect(live.body).toContain(createInput.title);
    await web.page.reload();
    await web.shot('migrateSite-approved');
  });
});
