import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startRotateSiteSecrets } from '../../src/client/secrets';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { canLogIn } from '../../src/infra/mariadb';
import { waitUntil } from '../../src/infra/wait';
import { siteNames } from '../../src/site/names';
import { WorkerProcess } from '../helpers/workerProcess';
import { historyBytes, occurrences, rawHistory } from '../helpers/leaks';
import { startLoad } from '../helpers/load';
import { startWorker, testClient, testConfig, type RunningWorker } from '../helpers/platform';
import { phpIn } from '../helpers/sites';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function passwordFile(w: Pick<RunningWorker, 'cfg'>, slug: string): string {
  return join(w.cfg.dataDir, 'secrets', siteNames(w.cfg.prefix, slug).secretsDir, 'db_password');
}
const readPassword = (w: Pick<RunningWorker, 'cfg'>, slug: string) => readFileSync(passwordFile(w, slug), 'utf8').trim();
const login = (w: Pick<RunningWorker, 'cfg'>, slug: string, password: string) =>
  canLogIn({ host: w.cfg.mariadb.host, port: w.cfg.mariadb.port, user: siteNames(w.cfg.prefix, slug).dbUser, password });

/** The web container connects with whatever its mounted file holds now. */
async function containerConnects(w: Pick<RunningWorker, 'cfg'>, slug: string): Promise<string> {
  const n = siteNames(w.cfg.prefix, slug);
  const r = await phpIn(w.cfg, n.webContainer('blue'), `try { new mysqli("db", getenv("TUTTI_DB_USER"), trim(file_get_contents("/run/secrets/tutti/db_password")), getenv("TUTTI_DB_NAME")); echo "connected"; } catch (Throwable $e) { echo "denied"; }`);
  return r.stdout;
}

describe('rotateSiteSecrets', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
  });
  afterAll(async () => {
    await w.stop();
  });

  it('rotates the DB password while the site answers 200 throughout; the old password stops working', async () => {
    const created = await startCreateSite(w.client, w.cfg, { domains: ['rota.example'], title: 'Rota Choir' });
    await created.result();
    const before = readPassword(w, 'rota');

    // Varnish passes every request to WordPress, which reads the password file and connects anew.
    const load = startLoad(w.cfg.varnish.httpPort, 'rota.example', { concurrency: 4 });
    await pause(2_000);
    const started = Date.now();
    const handle = await startRotateSiteSecrets(w.client, w.cfg, { site: 'rota', graceSeconds: 3 });
    expect(handle.workflowId).toBe('site/rota');
    const result = await handle.result();
    const rotationMs = Date.now() - started;
    await pause(2_000);
    const report = await load.stop();
    process.stdout.write(`rotation under load: ${rotationMs} ms, ${report.requests} requests through Varnish, ${report.failed} failed ${JSON.stringify(report.failures)}, p50 ${report.p50.toFixed(1)} ms, p99 ${report.p99.toFixed(1)} ms\n`);

    expect(result).toEqual({ slug: 'rota', rotated: ['db_password'], oldPasswordRefused: true });
    expect(report.failures).toEqual({});
    expect(report.requests).toBeGreaterThan(50);

    const after = readPassword(w, 'rota');
    expect(after).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(after).not.toBe(before);
    expect(await login(w, 'rota', before)).toBe(false);
    expect(await login(w, 'rota', after)).toBe(true);
    expect(await containerConnects(w, 'rota')).toBe('connected');
    const mode = statSync(passwordFile(w, 'rota'));
    expect([mode.mode & 0o777, mode.uid, mode.gid]).toEqual([0o440, 0, 33]);
    expect(existsSync(join(w.cfg.dataDir, 'secrets', 'rotation', 'rota'))).toBe(false);

    const history = historyBytes(await rawHistory(w.cfg, 'site/rota'));
    expect(occurrences(history, 'rotateSiteSecrets')).toBeGreaterThan(0);
    expect(occurrences(history, before) + occurrences(history, after)).toBe(0);
  });

  it('a worker killed during the rotation: the next one finishes it, and the site never stops answering', async () => {
    const cfg = testConfig();
    const client = await testClient(cfg);
    const first = new WorkerProcess(cfg, 'rotate-crash-1');
    const second = new WorkerProcess(cfg, 'rotate-crash-2');
    // The in-process worker of this file would pick the rotation up itself: stop it for this test.
    await w.stop();
    await first.start();
    const load = startLoad(cfg.varnish.httpPort, 'rota.example', { concurrency: 2 });
    try {
      const before = readPassword({ cfg }, 'rota');
      const handle = await startRotateSiteSecrets(client, cfg, { site: 'rota', graceSeconds: 5 });
      await waitUntil(
        'rotation waiting in its grace period',
        async () => (((await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string }).currentDetails?.includes('waiting') ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      await first.kill();
      await second.start();
      expect(await handle.result()).toMatchObject({ oldPasswordRefused: true });
      const report = await load.stop();
      process.stdout.write(`rotation across a worker crash: ${report.requests} requests, ${report.failed} failed\n`);
      expect(report.failures).toEqual({});
      expect(await login({ cfg }, 'rota', before)).toBe(false);
      expect(await login({ cfg }, 'rota', readPassword({ cfg }, 'rota'))).toBe(true);
      await (await startDeleteSite(client, cfg, { site: 'rota', finalBackup: false })).result();
    } finally {
      await load.stop();
      await first.kill();
      await second.stop();
      await client.connection.close();
      w = await startWorker();
    }
  });
});
