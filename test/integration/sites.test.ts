import { httpGet, waitUntil } from '../../src/infra/wait';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDocker } from '../../src/infra/docker';
import { exec } from '../../src/infra/dockerExec';
import { siteNames } from '../../src/site/names';
import { WorkerProcess } from '../helpers/workerProcess';
import { startWorker, testClient, testConfig, type RunningWorker } from '../helpers/platform';
import { inventory, NOTHING, phpIn, rootDb } from '../helpers/sites';

const docker = () => createDocker(testConfig().docker);

async function expectIsolated(w: RunningWorker, a: string, b: string): Promise<void> {
  const na = siteNames(w.cfg.prefix, a);
  const nb = siteNames(w.cfg.prefix, b);
  const webA = na.webContainer('blue');
  const bInfo = await docker().getContainer(nb.webContainer('blue')).inspect();
  const bIp = bInfo.NetworkSettings.Networks[nb.network]!.IPAddress;
  const curl = (target: string) => exec(docker(), webA, ['curl', '-sS', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', `http://${target}/`]);
  expect((await curl('127.0.0.1')).stdout).toMatch(/^[23]\d\d$/); // the probe itself works
  expect((await curl(nb.webContainer('blue'))).exitCode).not.toBe(0);
  expect((await curl(bIp)).exitCode).not.toBe(0);
  expect((await exec(docker(), webA, ['test', '-e', '/var/run/docker.sock'])).exitCode).not.toBe(0);
  const connect = (database: string) =>
    phpIn(w.cfg, webA, `try { new mysqli("db", getenv("TUTTI_DB_USER"), trim(file_get_contents("/run/secrets/tutti/db_password")), ${JSON.stringify(database)}); echo "connected"; } catch (Throwable $e) { echo "denied"; }`);
  expect((await connect(na.databaseOf(1))).stdout).toBe('connected');
  expect((await connect(nb.databaseOf(1))).stdout).toBe('denied');
  // '_' is a wildcard in grants: without escaping, the grant on tuttitest_alpha would match tuttitestXalpha
  const lookalike = na.databaseOf(1).replace('_', 'X');
  const db = rootDb(w.cfg);
  try {
    await db.query(`CREATE DATABASE IF NOT EXISTS \`${lookalike}\``);
    expect((await connect(lookalike)).stdout).toBe('denied');
  } finally {
    await db.query(`DROP DATABASE IF EXISTS \`${lookalike}\``);
    await db.end();
  }
}

/** The site's DB password appears nowhere: workflow histories, docker inspect of every container, the worker's log. */
async function expectPasswordNowhere(w: RunningWorker, slug: string, workflowIds: string[], logs = ''): Promise<void> {
  const password = readFileSync(join(w.cfg.dataDir, 'secrets', siteNames(w.cfg.prefix, slug).secretsDir, 'db_password'), 'utf8').trim();
  expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
  for (const id of workflowIds) {
    const history = JSON.stringify(await w.client.workflow.getHandle(id).fetchHistory());
    expect(history).toContain(slug);
    expect(history.split(password).length - 1).toBe(0);
  }
  for (const c of await docker().listContainers({ all: true })) {
    const inspect = JSON.stringify(await docker().getContainer(c.Id).inspect());
    expect(inspect.split(password).length - 1).toBe(0);
  }
  expect(logs.split(password).length - 1).toBe(0);
}


describe('createSite and deleteSite', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
  });
  afterAll(async () => {
    await w.stop();
  });

  it('creates two sites in parallel that answer with their own titles; deleting one leaves the other', async () => {
    const [a, b] = await Promise.all([
      startCreateSite(w.client, w.cfg, { domains: ['alpha.example', 'www.alpha.example'], title: 'Alpha Choir' }),
      startCreateSite(w.client, w.cfg, { domains: ['beta.example'], title: 'Beta Band' }),
    ]);
    const [ra, rb] = await Promise.all([a.result(), b.result()]);
    expect(ra).toMatchObject({ slug: 'alpha', url: 'http://alpha.example/' });
    expect(rb).toMatchObject({ slug: 'beta' });
    const pa = await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'alpha.example');
    const www = await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'www.alpha.example');
    expect(www.status).toBe(301); // routed to alpha's WordPress, which sends it to the primary domain
    const pb = await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'beta.example');
    expect(pa.status).toBe(200);
    expect(pa.body).toContain('Alpha Choir');
    expect(pb.status).toBe(200);
    expect(pb.body).toContain('Beta Band');
    expect((await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'nobody.example')).status).toBe(404);

    await expectIsolated(w, 'alpha', 'beta');
    await expectPasswordNowhere(w, 'alpha', [a.workflowId]);

    await (await startDeleteSite(w.client, w.cfg, { site: 'alpha' })).result();
    expect(await inventory(w.cfg, 'alpha')).toEqual(NOTHING);
    const after = await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'beta.example');
    expect(after.status).toBe(200);
    expect(after.body).toContain('Beta Band');
    expect((await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'alpha.example')).status).toBe(404);
    await (await startDeleteSite(w.client, w.cfg, { site: 'beta' })).result();
    expect(await inventory(w.cfg, 'beta')).toEqual(NOTHING);
  });
});

describe('createSite survives a worker crash', () => {
  it('SIGKILL mid-create, restart: completes with exactly one of everything', async () => {
    const cfg = testConfig();
    const first = new WorkerProcess(cfg, 'crash-1');
    await first.start();
    const client = await testClient(cfg);
    const second = new WorkerProcess(cfg, 'crash-2');
    try {
      const handle = await startCreateSite(client, cfg, { domains: ['gamma.example'], title: 'Gamma Trio' });
      // crash once the web container exists: DB, network and secrets are made, the install is under way
      await waitUntil('gamma web container', async () => ((await inventory(cfg, 'gamma')).containers.length ? true : undefined), { timeoutMs: 120_000, intervalMs: 200 });
      await first.kill();
      await second.start();
      const result = await handle.result();
      expect(result.slug).toBe('gamma');
      const inv = await inventory(cfg, 'gamma');
      expect(inv).toEqual({
        containers: [siteNames(cfg.prefix, 'gamma').webContainer('blue')],
        networks: [siteNames(cfg.prefix, 'gamma').network],
        volumes: [siteNames(cfg.prefix, 'gamma').filesVolume],
        databases: [siteNames(cfg.prefix, 'gamma').databaseOf(1)],
        user: true,
        secrets: true,
        routed: true,
        registered: true,
      });
      const page = await httpGet(`http://127.0.0.1:${cfg.varnish.httpPort}/`, 'gamma.example');
      expect(page.status).toBe(200);
      expect(page.body).toContain('Gamma Trio');
      await expectPasswordNowhere({ cfg, client } as RunningWorker, 'gamma', [handle.workflowId], first.logs() + second.logs());
      await (await startDeleteSite(client, cfg, { site: 'gamma' })).result();
      expect(await inventory(cfg, 'gamma')).toEqual(NOTHING);
    } finally {
      await first.kill();
      await second.stop();
      await client.connection.close();
    }
  });
});
