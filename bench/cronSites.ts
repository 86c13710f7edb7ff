import type { TuttiConfig } from '../src/config';
import { ensureContainer, removeContainer, type Docker } from '../src/infra/docker';
import { exec } from '../src/infra/dockerExec';
import type { Db } from '../src/infra/mariadb';
import { claimSite, updateSite } from '../src/infra/registry';
import { guardedCronArgv } from '../src/site/cron';
import { LABEL, platformNames, siteLabels, siteNames } from '../src/site/names';
import { wordpress } from '../src/site/platforms';

/**
 * Light stand-ins for 50 WordPress sites (50 real ones would not fit 2 cores): a Debian base
 * container per site, registered active in the registry, whose `php` only prints when it
 * started. The cron path is otherwise the real one: the same argv, lock and time limit.
 */
const STUB = '#!/bin/sh\n# bench/cron: stands in for the platform cron command; prints when it started (ns since the epoch).\ndate +%s%N\n';
const BASE_IMAGE = 'tutti/base:bookworm';

export interface StubSite {
  slug: string;
  container: string;
}

/** A stand-in web container (not registered): the baseline's target, or a site's. */
export async function createStubContainer(docker: Docker, cfg: TuttiConfig, slug: string): Promise<string> {
  const container = siteNames(cfg.prefix, slug).webContainer('blue');
  await ensureContainer(
    docker,
    {
      name: container,
      image: BASE_IMAGE,
      labels: { ...siteLabels(cfg.prefix, slug, 'web', cfg.hostName), [LABEL.color]: 'blue' },
      // PID 1 ignores SIGTERM unless it traps it: `platform down` would wait 20 s per container.
    cmd: ['sh', '-c', 'trap "exit 0" TERM INT; sleep infinity & wait'],
      network: platformNames(cfg.prefix).platformNetwork,
      memoryBytes: 32 * 1024 * 1024,
      restart: 'no',
    },
    { prefix: cfg.prefix, site: slug },
  );
  const r = await exec(docker, container, ['sh', '-c', 'cat > /usr/local/bin/php && chmod 0755 /usr/local/bin/php'], { stdin: STUB });
  if (r.exitCode !== 0) throw new Error(`installing the stub in ${container} failed: ${r.stderr}`);
  return container;
}

/** `count` stand-in sites, registered active with their container live. */
export async function createStubSites(docker: Docker, db: Db, cfg: TuttiConfig, count: number): Promise<StubSite[]> {
  const sites: StubSite[] = [];
  for (let i = 1; i <= count; i++) {
    const slug = `bench-${String(i).padStart(2, '0')}`;
    const container = await createStubContainer(docker, cfg, slug);
    await claimSite(db, { slug, domains: [`${slug}.bench.example`], platform: 'wordpress', image: BASE_IMAGE, host: cfg.hostName, title: slug }, 'bench-cron');
    await updateSite(db, slug, { status: 'active', activeContainer: container });
    sites.push({ slug, container });
  }
  return sites;
}

/** Wall clock in ns since the epoch, comparable with `date +%s%N` in a container (same kernel clock). */
export function nowNs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1e6);
}

/** The stub's start time from a cron output. */
export function startNsOf(output: string): number {
  const line = output.split('\n').find((l) => /^[0-9]{19}$/.test(l.trim()));
  if (!line) throw new Error(`no start time in the cron output: ${output.slice(0, 200)}`);
  return Number(line.trim());
}

/** The baseline: `docker exec` of the exact argv a cron run uses; ms from the call to the command's start. */
export async function directExecMs(docker: Docker, container: string, timeoutSeconds: number): Promise<number> {
  const argv = guardedCronArgv(wordpress.cron()[0]!, timeoutSeconds);
  const called = nowNs();
  const r = await exec(docker, container, argv, { user: wordpress.execUser });
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${r.exitCode} in ${container}: ${r.stderr}`);
  return (startNsOf(r.stdout) - called) / 1e6;
}

/** Removes the stand-ins' containers (what Tutti's labels prove are the bench's). */
export async function removeStubContainers(docker: Docker, cfg: TuttiConfig, slugs: string[]): Promise<void> {
  for (const slug of slugs) await removeContainer(docker, siteNames(cfg.prefix, slug).webContainer('blue'), { prefix: cfg.prefix, site: slug });
}
