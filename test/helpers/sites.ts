import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TuttiConfig } from '../../src/config';
import { createDocker } from '../../src/infra/docker';
import { exec } from '../../src/infra/dockerExec';
import { connectHostDb, listDatabases, userExists } from '../../src/infra/mariadb';
import { getSite } from '../../src/infra/registry';
import { platformNames, siteNames } from '../../src/site/names';
import { backendName } from '../../src/site/vcl';

/** Everything that exists for a site, looked up in the real Docker engine, MariaDB, Varnish, registry and secrets store. */
export async function inventory(cfg: TuttiConfig, slug: string) {
  const docker = createDocker(cfg.docker);
  const n = siteNames(cfg.prefix, slug);
  const db = rootDb(cfg);
  try {
    const containers = (await docker.listContainers({ all: true, filters: { label: [`tutti.site=${slug}`, `tutti.prefix=${cfg.prefix}`] } })).map((c) => c.Names[0]!.slice(1));
    const networks = (await docker.listNetworks({ filters: { name: [n.network] } })).filter((x) => x.Name === n.network).map((x) => x.Name);
    const volumes = ((await docker.listVolumes({ filters: { label: [`tutti.site=${slug}`, `tutti.prefix=${cfg.prefix}`] } })).Volumes ?? []).map((v) => v.Name);
    const vcl = await activeVcl(docker, cfg);
    return {
      containers,
      networks,
      volumes,
      databases: (await listDatabases(db)).filter(n.isSiteDatabase),
      user: await userExists(db, n.dbUser),
      secrets: existsSync(join(cfg.dataDir, 'secrets', n.secretsDir)),
      routed: vcl.includes(`backend ${backendName(slug)} `),
      registered: (await getSite(db, slug)) !== undefined,
    };
  } finally {
    await db.end();
  }
}

export const NOTHING = { containers: [], networks: [], volumes: [], databases: [], user: false, secrets: false, routed: false, registered: false };

export const rootDb = connectHostDb;

export async function activeVcl(docker: Docker, cfg: TuttiConfig): Promise<string> {
  const varnish = platformNames(cfg.prefix).varnishContainer;
  const r = await exec(docker, varnish, ['tutti-varnishadm', 'vcl.show', '-v', '-']);
  if (r.exitCode !== 0) {
    const list = await exec(docker, varnish, ['tutti-varnishadm', 'vcl.list']);
    const active = list.stdout.split('\n').find((l) => l.startsWith('active'))?.trim().split(/\s+/).pop();
    return (await exec(docker, varnish, ['tutti-varnishadm', 'vcl.show', active ?? 'boot'])).stdout;
  }
  return r.stdout;
}

/** Runs PHP in a site's web container as the web server user; the code is argv, secrets stay in files. */
export async function phpIn(cfg: TuttiConfig, container: string, code: string) {
  return exec(createDocker(cfg.docker), container, ['php', '-r', code], { user: 'www-data' });
}

/** `tutti-wp status` of a WordPress container: versions, db_version, blogname. */
export async function wpStatus(cfg: TuttiConfig, container: string): Promise<{ php_version: string; wp_version: string; db_version: number; needs_db_upgrade: boolean; blogname: string }> {
  const r = await exec(createDocker(cfg.docker), container, ['php', '/usr/local/bin/tutti-wp', 'status']);
  if (r.exitCode !== 0) throw new Error(`tutti-wp status failed in ${container}: ${r.stderr}`);
  return JSON.parse(r.stdout) as never;
}

/** Publishes a post through WordPress's API inside the container; returns its title, to look for on the front page. */
export async function addPost(cfg: TuttiConfig, container: string, title: string): Promise<void> {
  const r = await phpIn(cfg, container, `require "/usr/share/wordpress/wp-load.php"; $id = wp_insert_post(["post_title" => ${JSON.stringify(title)}, "post_status" => "publish", "post_content" => "kept"]); echo $id;`);
  if (r.exitCode !== 0 || !/^\d+$/.test(r.stdout.trim())) throw new Error(`adding a post failed: ${r.stdout} ${r.stderr}`);
}
