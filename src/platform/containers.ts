import { dirname } from 'node:path';
import type { TuttiConfig } from '../config';
import { createDbPool, serverVersion } from '../infra/mariadb';
import { dockerUnavailable, ensureContainer, ensureNetwork, ensureVolume, imageId, inspectContainer, removeContainer, type Docker } from '../infra/docker';
import { exec } from '../infra/dockerExec';
import type { SecretStore } from '../infra/secrets';
import { waitUntil } from '../infra/wait';
import { MARIADB_ROOT_PASSWORD, platformLabels, platformNames } from '../site/names';
import { PlatformError } from './processes';
import { VARNISH_TLS_LISTENER, VARNISH_TLS_PORT } from '../site/tls';

export type ContainerOutcome = 'already-running' | 'started' | 'created';

async function requireImage(docker: Docker, ref: string): Promise<void> {
  if (!(await imageId(docker, ref))) throw new PlatformError(`image ${ref} is missing on this Docker engine; build it with scripts/images.sh ensure`);
}

async function stateOf(docker: Docker, name: string): Promise<'running' | 'stopped' | 'absent'> {
  const info = await inspectContainer(docker, name);
  return !info ? 'absent' : info.State.Running ? 'running' : 'stopped';
}

/** The host's MariaDB: data in a named volume, root password as a mounted secret file, published on loopback. */
export async function ensureMariadbServer(docker: Docker, cfg: TuttiConfig, secrets: SecretStore): Promise<{ outcome: ContainerOutcome; version: string }> {
  const names = platformNames(cfg.prefix);
  const owner = { prefix: cfg.prefix };
  const before = await stateOf(docker, names.mariadbContainer);
  const password = await secrets.ensure(MARIADB_ROOT_PASSWORD);
  if (before === 'absent') {
    await requireImage(docker, cfg.mariadb.image);
    await ensureNetwork(docker, names.platformNetwork, platformLabels(cfg.prefix, 'network', cfg.hostName), owner);
    await ensureVolume(docker, names.mariadbVolume, platformLabels(cfg.prefix, 'mariadb', cfg.hostName), owner);
  }
  await ensureContainer(
    docker,
    {
      name: names.mariadbContainer,
      image: cfg.mariadb.image,
      labels: platformLabels(cfg.prefix, 'mariadb', cfg.hostName),
      network: names.platformNetwork,
      binds: [`${names.mariadbVolume}:/var/lib/mysql`, `${dirname(secrets.path(MARIADB_ROOT_PASSWORD))}:/run/secrets/tutti:ro`],
      publish: { 3306: cfg.mariadb.port },
    },
    owner,
  );
  const db = createDbPool({ host: cfg.mariadb.host, port: cfg.mariadb.port, user: 'root', password });
  try {
    const version = await waitUntil(`MariaDB on 127.0.0.1:${cfg.mariadb.port}`, () => serverVersion(db), { timeoutMs: 120_000, intervalMs: 500 });
    return { outcome: before === 'absent' ? 'created' : before === 'stopped' ? 'started' : 'already-running', version };
  } finally {
    await db.end();
  }
}

const LISTENERS_LABEL = 'tutti.varnish-listeners';
/** Beside plain HTTP on :80, the terminator's listener: PROXY protocol, so VCL knows a request came over HTTPS. */
const VARNISH_LISTENERS = ['-a', `${VARNISH_TLS_LISTENER}=:${VARNISH_TLS_PORT},PROXY`];

/** The host's Varnish, published on loopback at the configured HTTP port. */
export async function ensureVarnishServer(docker: Docker, cfg: TuttiConfig): Promise<{ outcome: ContainerOutcome | 'recreated' }> {
  const names = platformNames(cfg.prefix);
  const owner = { prefix: cfg.prefix };
  let before: 'running' | 'stopped' | 'absent' | 'outdated' = await stateOf(docker, names.varnishContainer);
  // Varnish holds no state the registry cannot rebuild, so a newer image replaces it; routes are synced after.
  const current = await imageId(docker, cfg.varnish.image);
  const existing = before !== 'absent' ? await inspectContainer(docker, names.varnishContainer) : undefined;
  // a Varnish from before the TLS terminator lacks its PROXY listener: replaced like an outdated image
  if (existing && ((current && existing.Image !== current) || existing.Config.Labels?.[LISTENERS_LABEL] !== VARNISH_LISTENERS.join(' '))) {
    await removeContainer(docker, names.varnishContainer, owner);
    before = 'outdated';
  }
  if (before === 'absent' || before === 'outdated') {
    await requireImage(docker, cfg.varnish.image);
    await ensureNetwork(docker, names.platformNetwork, platformLabels(cfg.prefix, 'network', cfg.hostName), owner);
  }
  await ensureContainer(
    docker,
    {
      name: names.varnishContainer,
      image: cfg.varnish.image,
      labels: { ...platformLabels(cfg.prefix, 'varnish', cfg.hostName), [LISTENERS_LABEL]: VARNISH_LISTENERS.join(' ') },
      network: names.platformNetwork,
      cmd: VARNISH_LISTENERS,
      publish: { 80: cfg.varnish.httpPort },
    },
    owner,
  );
  await waitUntil(
    `Varnish admin in ${names.varnishContainer}`,
    async () => ((await exec(docker, names.varnishContainer, ['tutti-varnishadm', 'ping'])).exitCode === 0 ? true : undefined),
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  return { outcome: before === 'outdated' ? 'recreated' : before === 'absent' ? 'created' : before === 'stopped' ? 'started' : 'already-running' };
}

/** Starts the given containers (the sites' live web containers) when they are stopped. */
export async function startContainers(docker: Docker, names: string[]): Promise<string[]> {
  const started: string[] = [];
  for (const name of names) {
    const info = await inspectContainer(docker, name);
    if (info && !info.State.Running) {
      await docker.getContainer(name).start();
      started.push(name);
    }
  }
  return started;
}

/** Stops (never removes) the sites' and the platform's containers, sites first; data stays in volumes. */
export async function stopPlatformContainers(docker: Docker, cfg: TuttiConfig): Promise<string[]> {
  const names = platformNames(cfg.prefix);
  const stopped: string[] = [];
  const sites = await docker.listContainers({ filters: { label: [`tutti.prefix=${cfg.prefix}`, 'tutti.role=web'] } });
  for (const name of [...sites.map((c) => c.Names[0]!.slice(1)), names.varnishContainer, names.mariadbContainer]) {
    const info = await inspectContainer(docker, name);
    if (info?.State.Running) {
      await docker.getContainer(name).stop({ t: 20 });
      stopped.push(name);
    }
  }
  return stopped;
}

/** Fails fast with one line when the engine does not answer. */
export async function requireDocker(docker: Docker): Promise<string> {
  try {
    return (await docker.version()).Version;
  } catch (err) {
    const u = dockerUnavailable(err);
    throw new PlatformError(u ? u.message : `docker: ${(err as Error).message}; start the engine with npm run up`);
  }
}
