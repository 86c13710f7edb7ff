import { randomUUID } from 'node:crypto';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import * as registered from '../../workflows';
import { HOSTILE } from '../helpers/hostile';
import { rawHistory } from '../helpers/leaks';
import { plainClient, startWorker, type RunningWorker } from '../helpers/platform';
import { snapshot } from '../helpers/sideEffects';

const BACKUP = '20261128T063000Z-a1b2c3';
const IMAGE = 'tutti/wordpress:php8.4-trixie';
const SOURCE = { db: { path: '/srv/import/acme/db.sql' }, files: { path: '/srv/import/acme/files.tar' } };

/** Per workflow: hostile inputs as an operator could paste them into the UI, and the field each must be refused for. */
const CASES: Record<string, [unknown, string][]> = {
  checkPlatform: [[{ host: HOSTILE.shell[0] }, 'host'], [{ host: 'testhost', x: 1 }, 'input']],
  createSite: [
    [{ domains: [HOSTILE.vcl[0]] }, 'domains.0'],
    [{ domains: ['acme.example'], slug: HOSTILE.sql[0] }, 'slug'],
    [{ domains: ['acme.example'], image: HOSTILE.shell[5] }, 'image'],
    [{ domains: ['acme.example'], title: 'Acme\u202eChoir' }, 'title'],
    [{ domains: [HOSTILE.long[1]] }, 'domains.0'],
    [{ domains: ['\u0430cme.example'] }, 'domains.0'],
    [null, 'input'],
  ],
  deleteSite: [[{ site: HOSTILE.path[0] }, 'site'], [{ site: 'acme', finalBackup: 'no' }, 'finalBackup']],
  rotateSiteSecrets: [[{ site: HOSTILE.sql[1] }, 'site'], [{ site: 'acme', graceSeconds: 1e12 }, 'graceSeconds']],
  siteCron: [[{ site: HOSTILE.shell[2] }, 'site']],
  backupSite: [[{ site: HOSTILE.long[0] }, 'site'], [{ site: 'acme', reason: 'manual; rm -rf /' }, 'reason']],
  restoreSite: [[{ site: 'acme', backupId: HOSTILE.path[0] }, 'backupId'], [{ site: 'acme', backupId: BACKUP, to: HOSTILE.vcl[1] }, 'to']],
  verifyBackup: [[{ site: 'acme', backupId: '20261399T999999Z-abcdef' }, 'backupId']],
  fleetBackup: [[{ sites: ['acme', HOSTILE.sql[2]] }, 'sites.1'], [{ concurrency: -1 }, 'concurrency']],
  upgradeSite: [[{ site: 'acme', image: `${IMAGE};id` }, 'image'], [{ site: 'acme', image: IMAGE, extraUpdateSteps: [['php', 'a\u0000b']] }, 'extraUpdateSteps.0.1']],
  upgradeFleet: [[{ toImage: IMAGE, sites: [HOSTILE.unicode[1]] }, 'sites.0']],
  renewCertificates: [[{ sites: ['acme', HOSTILE.sql[2]] }, 'sites.1'], [{ concurrency: 99 }, 'concurrency']],
  migrateSite: [
    [{ domains: ['acme.example'], source: { ...SOURCE, db: { path: HOSTILE.path[0] } } }, 'source.db'],
    [{ domains: ['acme.example'], source: { ...SOURCE, files: { url: HOSTILE.url[1] } } }, 'source.files'],
  ],
};

describe('hostile input started directly as a workflow, as from the Web UI', () => {
  let w: RunningWorker;
  let ui: Client;
  beforeAll(async () => {
    w = await startWorker();
    // The UI sends plain JSON: no codec on this client.
    ui = await plainClient(w.cfg);
  });
  afterAll(async () => {
    await ui.connection.close();
    await w.stop();
  });

  it('every registered workflow has hostile cases', () => {
    expect(Object.keys(registered).filter((name) => !CASES[name])).toEqual([]);
  });

  it('each run fails InvalidInput naming the field, schedules no activity, and changes nothing', async () => {
    const before = await snapshot(w.cfg, w.client);
    const runs = Object.entries(CASES)
      .filter(([type]) => type in registered)
      .flatMap(([type, cases]) => cases.map(([input, field]) => ({ type, input, field, id: `site/hostile-${randomUUID().slice(0, 8)}` })));
    await Promise.all(runs.map((r) => ui.workflow.start(r.type, { taskQueue: w.cfg.temporal.taskQueue, workflowId: r.id, args: [r.input], workflowExecutionTimeout: '1 minute' })));

    for (const r of runs) {
      // Read the outcome as the UI does through the codec server: with the codec.
      const err = await w.client.workflow.getHandle(r.id).result().then(
        () => new Error(`${r.type} accepted ${JSON.stringify(r.input)}`),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect({ type: r.type, failure: cause.type, nonRetryable: cause.nonRetryable }).toEqual({ type: r.type, failure: 'InvalidInput', nonRetryable: true });
      // The field, or a part of it (source.db.path)
      expect(cause.message).toMatch(new RegExp(`^invalid input: ${r.field.replace(/\./g, '\\.')}(\\.[a-z0-9]+)*: `, 'i'));
      const events = (await rawHistory(w.cfg, r.id)).events ?? [];
      expect({ type: r.type, activities: events.filter((e) => e.activityTaskScheduledEventAttributes).length }).toEqual({ type: r.type, activities: 0 });
    }
    expect(await snapshot(w.cfg, w.client)).toEqual(before);
  });
});
