import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { TuttiConfig } from '../../src/config';
import { httpGet, waitUntil } from '../../src/infra/wait';
import { MARIADB_ROOT_PASSWORD, platformNames } from '../../src/site/names';
import { wordpress } from '../../src/site/platforms';
import type { SiteSpec } from '../../src/site/spec';
import { renderVcl } from '../../src/site/vcl';
import { command, docker } from './command';

/** Marks every Docker resource the baseline makes, beside Tutti's ownership labels. */
const BENCH_LABEL = 'tutti.bench=create-site';
const POLL_MS = 50;

/** A site made by hand, named `<prefix>-bench-<id>` so the test platform's reset removes it too. */
export interface DirectSite {
  spec: SiteSpec;
  container: string;
  network: string;
  volume: string;
  /** Database and user. */
  ident: string;
  secretsDir: string;
  vcl: string;
}

export function directSite(cfg: TuttiConfig, id: string, image: string): DirectSite {
  const base = `${cfg.prefix}-bench-${id}`;
  const ident = base.replace(/-/g, '_');
  const domain = `${id}.bench.example`;
  return {
    spec: { slug: `bench-${id}`, domains: [domain], platform: 'wordpress', image, host: cfg.hostName, title: `Bench ${id}` },
    container: `${base}-web`,
    network: base,
    volume: `${base}-files`,
    ident,
    secretsDir: join(cfg.dataDir, 'bench', base, 'secrets'),
    vcl: `bench_${ident}`,
  };
}

export interface StepTimes {
  /** Step name → milliseconds, in the order they ran. */
  steps: Map<string, number>;
  totalMs: number;
  /** `docker` CLI processes started on the way: each pays the CLI's own start-up. */
  dockerCalls: number;
}

function labels(cfg: TuttiConfig, role: string): string[] {
  return ['tutti.managed=true', `tutti.prefix=${cfg.prefix}`, `tutti.role=${role}`, BENCH_LABEL].flatMap((l) => ['--label', l]);
}

async function rootConnection(cfg: TuttiConfig): Promise<mysql.Connection> {
  const password = (await readFile(join(cfg.dataDir, 'secrets', MARIADB_ROOT_PASSWORD), 'utf8')).trim();
  return mysql.createConnection({ host: cfg.mariadb.host, port: cfg.mariadb.port, user: 'root', password });
}

/**
 * What createSite does, done directly with the docker CLI, one SQL connection and varnishadm:
 * no Temporal, no registry, no idempotency checks. Ends at the first 200 through Varnish.
 */
export async function createDirectly(cfg: TuttiConfig, site: DirectSite): Promise<StepTimes> {
  const steps = new Map<string, number>();
  const step = async (name: string, work: () => Promise<unknown>) => {
    const t = performance.now();
    await work();
    steps.set(name, performance.now() - t);
  };
  let dockerCalls = 0;
  const cli = (args: string[], stdin?: string) => {
    dockerCalls++;
    return command(['docker', ...args], { stdin });
  };
  const { spec } = site;
  const domain = spec.domains[0]!;
  const varnish = platformNames(cfg.prefix).varnishContainer;
  const started = performance.now();

  await step('secrets: 3 files, root:33 0440', async () => {
    await mkdir(site.secretsDir, { recursive: true, mode: 0o750 });
    for (const [file, generate] of Object.entries(wordpress.secretFiles)) {
      const path = join(site.secretsDir, file);
      await writeFile(path, generate(), { mode: 0o440 });
      await chown(path, 0, wordpress.secretGid);
    }
    await chown(site.secretsDir, 0, wordpress.secretGid);
    await chmod(site.secretsDir, 0o750);
  });
  await step('database: connect, CREATE DATABASE, CREATE USER, GRANT', async () => {
    const password = (await readFile(join(site.secretsDir, 'db_password'), 'utf8')).trim();
    const db = await rootConnection(cfg);
    try {
      await db.query(`CREATE DATABASE \`${site.ident}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await db.query(`CREATE USER '${site.ident}'@'%' IDENTIFIED BY ?`, [password]);
      await db.query(`GRANT ALL PRIVILEGES ON \`${site.ident.replace(/_/g, '\\_')}\`.* TO '${site.ident}'@'%'`);
    } finally {
      await db.end();
    }
  });
  await step('network + volume: 4 docker commands', async () => {
    await cli(['network', 'create', ...labels(cfg, 'network'), site.network]);
    await cli(['network', 'connect', '--alias', 'db', site.network, platformNames(cfg.prefix).mariadbContainer]);
    await cli(['network', 'connect', site.network, varnish]);
    await cli(['volume', 'create', ...labels(cfg, 'files'), site.volume]);
  });
  await step('docker run -d', () =>
    cli([
      'run', '-d', '--name', site.container, ...labels(cfg, 'web'),
      '--network', site.network, '--restart', 'unless-stopped', '--memory', '512m', '--security-opt', 'no-new-privileges',
      '-v', `${site.volume}:${wordpress.filesMount}`, '-v', `${site.secretsDir}:/run/secrets/tutti:ro`,
      ...wordpress.env(spec, { dbHost: 'db', dbName: site.ident, dbUser: site.ident }).flatMap((e) => ['-e', e]),
      spec.image,
    ]),
  );
  await step(`web answering ${wordpress.healthPath} (container IP, every ${POLL_MS} ms)`, async () => {
    const ip = (await cli(['inspect', '-f', `{{(index .NetworkSettings.Networks "${site.network}").IPAddress}}`, site.container])).trim();
    await waitUntil(
      `${site.container} answering ${wordpress.healthPath} on ${ip}`,
      async () => {
        const r = await httpGet(`http://${ip}${wordpress.healthPath}`, domain, 2_000);
        return r.status >= 200 && r.status < 400 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: POLL_MS },
    );
  });
  await step('install: docker exec tutti-wp install', () =>
    cli(['exec', '-u', wordpress.execUser, site.container, ...wordpress.install(spec, { user: 'admin', email: `admin@${domain}` })[0]!]),
  );
  await step('VCL: tee, varnishadm vcl.load, vcl.use', async () => {
    const vcl = renderVcl([{ slug: spec.slug, domains: spec.domains, backendHost: site.container, healthPath: wordpress.healthPath }]);
    const path = `/etc/varnish/tutti/${site.vcl}.vcl`;
    await cli(['exec', '-i', varnish, 'tee', path], vcl);
    await cli(['exec', varnish, 'tutti-varnishadm', 'vcl.load', site.vcl, path]);
    await cli(['exec', varnish, 'tutti-varnishadm', 'vcl.use', site.vcl]);
  });
  await step(`GET / through Varnish until 200 (every ${POLL_MS} ms)`, () =>
    waitUntil(
      `http://${domain}/ through Varnish`,
      async () => ((await httpGet(`http://127.0.0.1:${cfg.varnish.httpPort}/`, domain)).status === 200 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: POLL_MS },
    ),
  );
  const totalMs = performance.now() - started;

  const page = await httpGet(`http://127.0.0.1:${cfg.varnish.httpPort}/`, domain);
  if (!page.body.includes(spec.title)) throw new Error(`baseline site ${domain} answered 200 without its title "${spec.title}"; the baseline is not doing the same work`);
  return { steps, totalMs, dockerCalls };
}

/** The VCL Varnish runs now, so the baseline can hand Varnish back as it found it. */
export async function activeVcl(cfg: TuttiConfig): Promise<string> {
  const list = await docker('exec', platformNames(cfg.prefix).varnishContainer, 'tutti-varnishadm', 'vcl.list');
  const active = list.split('\n').find((l) => l.startsWith('active'));
  if (!active) throw new Error(`no active VCL in ${platformNames(cfg.prefix).varnishContainer}: ${list.trim()}`);
  return active.trim().split(/\s+/).pop()!;
}

/**
 * Removes what the baseline made: its VCL (after switching back to `previousVcl`), and every
 * container, network and volume carrying the bench label under this prefix, its databases,
 * users and secrets.
 */
export async function removeDirectSites(cfg: TuttiConfig, previousVcl: string): Promise<void> {
  const p = platformNames(cfg.prefix);
  const adm = (...args: string[]) => docker('exec', p.varnishContainer, 'tutti-varnishadm', ...args);
  const vcls = (await adm('vcl.list')).split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '');
  if (vcls.some((v) => v.startsWith('bench_'))) await adm('vcl.use', previousVcl);
  for (const v of vcls.filter((n) => n.startsWith('bench_'))) {
    await adm('vcl.discard', v).catch(() => undefined); // still busy: Varnish drops it once its last request ends
    await docker('exec', p.varnishContainer, 'rm', '-f', `/etc/varnish/tutti/${v}.vcl`);
  }

  const owned = ['--filter', `label=tutti.prefix=${cfg.prefix}`, '--filter', `label=${BENCH_LABEL}`];
  const ids = (out: string) => out.split('\n').filter(Boolean);
  const containers = ids(await docker('ps', '-aq', ...owned));
  if (containers.length) await docker('rm', '-f', ...containers);
  for (const net of ids(await docker('network', 'ls', '-q', ...owned))) {
    for (const c of [p.mariadbContainer, p.varnishContainer]) await docker('network', 'disconnect', '-f', net, c).catch(() => undefined);
    await docker('network', 'rm', net);
  }
  const volumes = ids(await docker('volume', 'ls', '-q', ...owned));
  if (volumes.length) await docker('volume', 'rm', ...volumes);

  const like = `${cfg.prefix}\\_bench\\_%`;
  const db = await rootConnection(cfg);
  try {
    const [dbs] = await db.query<mysql.RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [like]);
    for (const r of dbs) await db.query(`DROP DATABASE \`${String(r.name)}\``);
    const [users] = await db.query<mysql.RowDataPacket[]>("SELECT User AS name FROM mysql.user WHERE User LIKE ? AND Host = '%'", [like]);
    for (const r of users) await db.query(`DROP USER '${String(r.name)}'@'%'`);
  } finally {
    await db.end();
  }
  await rm(join(cfg.dataDir, 'bench'), { recursive: true, force: true });
}
