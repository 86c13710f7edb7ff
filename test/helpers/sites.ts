import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TuttiConfig } from '../../src/config';
import { createDocker, exec } from '../../src/infra/docker';
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
