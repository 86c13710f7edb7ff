import type { Client } from '@temporalio/client';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { approveMigration, pendingMigration, startMigrateSite } from '../../src/client/migrate';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { createDocker } from '../../src/infra/docker';
import { getSite } from '../../src/infra/registry';
import { httpGet, waitUntil } from '../../src/infra/wait';
import type { MigrationStatus } from '../../src/migrate/input';
import { siteNames, siteWorkflowId } from '../../src/site/names';
import { decodeEntities, pageTitle } from '../../src/site/pageCheck';
import { askWordPress, dressFixtureSite, FIXTURE } from '../fixtures/fixtureSite';
import { fromNewerWordPress, mariadb10, mysql55, mysql57, mysql8, phpMyAdmin } from '../fixtures/wordpressExports';
import { exportSite } from '../helpers/exportSite';
import { testClient, testConfig } from '../helpers/platform';
import { inventory, NOTHING, rootDb } from '../helpers/sites';
import { WorkerProcess } from '../helpers/workerProcess';

const cfg = testConfig();
const docker = createDocker(cfg.docker);
const ORIGIN = 'fxorigin.example';
const get = (host: string) => httpGet(`http://127.0.0.1:${cfg.varnish.httpPort}/`, host);

/** Each dialect of the same site, as another host would have exported it. */
const DIALECTS = [
  { slug: 'fx55', prefix: 'old55_', make: (sql: string) => mysql55(sql, 'old55_'), adjusted: /DEFINER set to the site user/ },
  { slug: 'fx57', prefix: 'Wp57x_', make: (sql: string) => mysql57(sql, 'Wp57x_'), adjusted: /DEFINER set to the site user/ },
  { slug: 'fx8', prefix: 'wp_', make: (sql: string) => mysql8(sql, 'wp_'), adjusted: /left out line \d+: replication setting.*MySQL 8 collation mapped/ },
  { slug: 'fxpma', prefix: 'pma_', make: (sql: string) => phpMyAdmin(sql, 'pma_', 'choir_live'), adjusted: /left out line \d+: CREATE DATABASE `choir_live`; left out line \d+: USE `choir_live`/ },
] as const;

/** The page shows the title and the post as a reader sees them, whatever the entities. */
function expectFixturePage(body: string): void {
  expect(pageTitle(body)).toContain(FIXTURE.title);
  expect(decodeEntities(body)).toContain(FIXTURE.post);
  expect(body).toContain(FIXTURE.themeMarker);
}

async function stageOf(client: Client, slug: string, stage: MigrationStatus['stage']): Promise<MigrationStatus> {
  const handle = client.workflow.getHandle(siteWorkflowId(slug));
  let ended: unknown;
  const s = await waitUntil(
    `migration ${slug} at ${stage}`,
    async () => {
      if ((await handle.describe()).status.name !== 'RUNNING') {
        ended = await handle.result().then((r: unknown) => new Error(`${slug} ended early: ${JSON.stringify(r)}`), (err: unknown) => err);
        return true;
      }
      const status = await pendingMigration(client, slug);
      return status?.stage === stage ? status : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 500 },
  );
  if (ended) throw ended;
  return s as MigrationStatus;
}

/** Attempts of each activity type in a run's history. */
async function attempts(client: Client, slug: string): Promise<Record<string, number[]>> {
  const history = await client.workflow.getHandle(siteWorkflowId(slug)).fetchHistory();
  const types = new Map<string, string>();
  const out: Record<string, number[]> = {};
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) types.set(String(e.eventId), scheduled.activityType!.name!);
    const started = e.activityTaskStartedEventAttributes;
    if (started) (out[types.get(String(started.scheduledEventId))!] ??= []).push(started.attempt!);
  }
  return out;
}

describe('migrateSite with real-world exports (generated fixture set)', () => {
  let dir: string;
  let client: Client;
  let worker: WorkerProcess;
  let sql: string;
  let files: string;
  /** The migration whose check cannot pass runs beside the others: its deadline is most of its time. */
  let broken: { started: number; result: Promise<unknown> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tutti-fixtures-'));
    worker = new WorkerProcess(cfg, 'fixtures');
    await worker.start();
    client = await testClient(cfg);
    await (await startCreateSite(client, cfg, { domains: [ORIGIN], slug: 'fxorigin', title: FIXTURE.title })).result();
    await dressFixtureSite(cfg, 'fxorigin', ORIGIN, siteNames(cfg.prefix, 'fxorigin').webContainer('blue'));
    const exported = await exportSite(cfg, docker, 'fxorigin', dir);
    sql = gunzipSync(readFileSync(exported.db)).toString('utf8');
    files = exported.files;
    await (await startDeleteSite(client, cfg, { site: 'fxorigin', finalBackup: false })).result();
    const started = Date.now();
    const handle = await migrate('fxbroken', mariadb10(sql, 'm10_').replace(/'fixture-choir'/g, "'fixture-broken'"));
    broken = { started, result: handle.result().then(() => undefined, (e: unknown) => e) };
  });

  afterAll(async () => {
    await worker.kill();
    await client?.connection.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const migrate = (slug: string, dump: string, extra: { image?: string } = {}) => {
    const path = join(dir, `${slug}.sql`);
    writeFileSync(path, dump);
    return startMigrateSite(client, cfg, { domains: [`${slug}.example`], slug, source: { db: { path }, files: { path: files } }, ...extra });
  };

  it('every dialect migrates through approval: prefix kept, title and 4-byte post shown, theme, widgets, roles and latin1 rows intact', async () => {
    const handles = await Promise.all(DIALECTS.map((d) => migrate(d.slug, d.make(sql))));
    for (const d of DIALECTS) {
      const waiting = await stageOf(client, d.slug, 'awaiting-approval');
      expect(waiting.dump).toMatchObject({ tablePrefix: d.prefix, schemaVersion: expect.any(Number) });
      expect(waiting.dump!.adjusted.join('; ')).toMatch(d.adjusted);
      const staged = await get(`${d.slug}.${cfg.migrate.stagingDomain}`);
      expect(staged.status).toBe(200);
      expectFixturePage(staged.body);
      await approveMigration(client, d.slug, 'jest');
    }
    for (const [i, d] of DIALECTS.entries()) {
      expect((await handles[i]!.result()).outcome).toBe('live');
      const live = await get(`${d.slug}.example`);
      expect(live.status).toBe(200);
      expectFixturePage(live.body);
      expect(live.body).not.toContain(`http://${ORIGIN}/`);
      const db = rootDb(cfg);
      try {
        const site = (await getSite(db, d.slug))!;
        expect(site.spec.tablePrefix).toBe(d.prefix);
        const [rows] = await db.query(`SELECT note FROM \`${siteNames(cfg.prefix, d.slug).databaseOf(1)}\`.\`${d.prefix}legacy_log\``);
        expect(rows).toEqual([{ note: FIXTURE.latin1Note }]);
        // Serialized values are left as they were (their lengths would break), and WordPress still reads them.
        const wp = JSON.parse(await askWordPress(cfg, site.activeContainer!, 'echo json_encode([get_option("widget_text")[2]["text"] ?? null, get_option("fixture_links")["about"] ?? null, user_can(1, "manage_options"), get_option("stylesheet")]);'));
        expect(wp).toEqual([expect.stringContaining(FIXTURE.oldUrl(ORIGIN)), FIXTURE.oldUrl(ORIGIN), true, 'fixture-choir']);
      } finally {
        await db.end();
      }
    }
    await Promise.all(DIALECTS.map(async (d) => (await startDeleteSite(client, cfg, { site: d.slug, finalBackup: false })).result()));
  });

  it('a dump from a newer WordPress is refused before anything is created, naming the image that fits', async () => {
    const handle = await migrate('fxnew', fromNewerWordPress(mariadb10(sql, 'wp_'), 57155), { image: 'tutti/wordpress:php8.2-bookworm' });
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ cause: { cause: { type: 'SourceRefused', message: expect.stringMatching(/newer WordPress \(db_version 57155\) than tutti\/wordpress:php8\.2-bookworm \(WordPress 6\.1[^,]*, db_version \d+\); migrate it with "image": "tutti\/wordpress:php8\.4-trixie"/) } } });
    expect(await inventory(cfg, 'fxnew')).toEqual(NOTHING);
    const ran = await attempts(client, 'fxnew');
    expect(ran.inspectMigrationSources).toEqual([1]);
    expect(Object.keys(ran).filter((a) => /^(claim|ensure|import)/.test(a))).toEqual([]);
  });

  it('a check that cannot pass fails once, within its deadline, with what it expected and saw, and leaves nothing', async () => {
    const err = await broken.result;
    expect(Date.now() - broken.started).toBeLessThan(240_000);
    expect(err).toMatchObject({
      cause: { cause: { type: 'RouteCheckFailed', message: expect.stringMatching(/^http:\/\/fxbroken\.[^ ]+\/ through Varnish: expected HTTP 200 showing the title "Men's & \\"Boys\\" <Choir>", saw HTTP 500/) } },
    });
    expect((await attempts(client, 'fxbroken')).checkSiteAnswers).toEqual([1]);
    expect(await inventory(cfg, 'fxbroken')).toEqual(NOTHING);
  });
});
