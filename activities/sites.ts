import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { connectNetwork, disconnectNetwork, ensureContainer, ensureNetwork, ensureVolume, inspectContainer, listByLabels, removeContainer, removeNetwork, removeVolume } from '../src/infra/docker';
import { exec, execOk, tailOf } from '../src/infra/dockerExec';
import { dropDatabase, dropDbUser, ensureDatabase, ensureDbUser, listDatabases, revokeDb } from '../src/infra/mariadb';
import { getSite } from '../src/infra/registry';
import { FailureType } from '../src/site/errors';
import { RELAY_ALIAS } from '../src/site/mail';
import { LABEL, platformNames, siteLabels, siteNames, type Color } from '../src/site/names';
import { profileOf } from '../src/site/platforms';
import type { SiteSpec } from '../src/site/spec';
import type { ActivityDeps } from './deps';
import { classified } from './failures';
import { pollUntil } from './polling';

export interface WebContainer {
  name: string;
  imageId: string;
}

/** Per-site Docker and MariaDB resources, each `ensure` safe to repeat and each `remove` limited to what Tutti owns. */
export function createSiteActivities(deps: ActivityDeps) {
  const { docker, cfg, secrets } = deps;
  const platform = platformNames(cfg.prefix);

  function heartbeatWhile<T>(step: string, work: Promise<T>): Promise<T> {
    const ctx = Context.current();
    const started = Date.now();
    const timer = setInterval(() => ctx.heartbeat({ step, seconds: Math.round((Date.now() - started) / 1000) }), 2_000);
    return work.finally(() => clearInterval(timer));
  }

  const acts = {
    /** Generates the site's secrets once (DB password, platform keys) into the secrets store; returns nothing secret. */
    async ensureSiteSecrets(spec: SiteSpec): Promise<string[]> {
      const profile = profileOf(spec.platform);
      const dir = siteNames(cfg.prefix, spec.slug).secretsDir;
      for (const [file, generate] of Object.entries(profile.secretFiles)) {
        await secrets.ensure(`${dir}/${file}`, generate, { gid: profile.secretGid });
      }
      return Object.keys(profile.secretFiles);
    },

    /** The database of one generation and the site's user, granted exactly that database. */
    async ensureSiteDatabase(spec: SiteSpec, generation = 1): Promise<{ database: string; user: string }> {
      const n = siteNames(cfg.prefix, spec.slug);
      const password = await secrets.read(`${n.secretsDir}/db_password`);
      if (!password) throw ApplicationFailure.nonRetryable(`site ${spec.slug} has no DB password in the secrets store; run ensureSiteSecrets first`, FailureType.InvalidInput);
      const database = n.databaseOf(generation);
      await ensureDatabase(deps.db(), database);
      await ensureDbUser(deps.db(), n.dbUser, password, database);
      return { database, user: n.dbUser };
    },

    async ensureFilesVolume(spec: SiteSpec, generation = 1): Promise<string> {
      const volume = siteNames(cfg.prefix, spec.slug).filesVolumeOf(generation);
      await ensureVolume(docker, volume, siteLabels(cfg.prefix, spec.slug, 'files', spec.host), { prefix: cfg.prefix, site: spec.slug });
      return volume;
    },

    /** Drops an old generation's database and volume once the site runs on a newer one. */
    async removeGeneration(slug: string, generation: number): Promise<string[]> {
      const current = (await getSite(deps.db(), slug))?.generation;
      if (current === generation) throw ApplicationFailure.nonRetryable(`generation ${generation} of ${slug} is live; refusing to remove it`, FailureType.InvalidInput);
      const n = siteNames(cfg.prefix, slug);
      await revokeDb(deps.db(), n.dbUser, n.databaseOf(generation));
      await dropDatabase(deps.db(), n.databaseOf(generation));
      const removed = [`database ${n.databaseOf(generation)}`];
      if (await removeVolume(docker, n.filesVolumeOf(generation), { prefix: cfg.prefix, site: slug })) removed.push(`volume ${n.filesVolumeOf(generation)}`);
      return removed;
    },

    /** The site's own network, with MariaDB (alias `db`), Varnish and the mail relay (alias `mail`) attached; sites never share one. */
    async ensureSiteNetwork(spec: SiteSpec): Promise<string> {
      const n = siteNames(cfg.prefix, spec.slug);
      await ensureNetwork(docker, n.network, siteLabels(cfg.prefix, spec.slug, 'network', spec.host), { prefix: cfg.prefix, site: spec.slug });
      await connectNetwork(docker, n.network, platform.mariadbContainer, ['db']);
      await connectNetwork(docker, n.network, platform.varnishContainer);
      // Site mail leaves through the host's relay (msmtp in the image sends to mail:25).
      await connectNetwork(docker, n.network, platform.relayContainer, [RELAY_ALIAS]);
      return n.network;
    },

    async ensureWebContainer(spec: SiteSpec, color: Color, image: string, generation = 1): Promise<WebContainer> {
      const n = siteNames(cfg.prefix, spec.slug);
      const profile = profileOf(spec.platform);
      const name = n.webContainer(color);
      await ensureContainer(
        docker,
        {
          name,
          image,
          labels: { ...siteLabels(cfg.prefix, spec.slug, 'web', spec.host), [LABEL.color]: color },
          env: profile.env(spec, { dbHost: 'db', dbName: n.databaseOf(generation), dbUser: n.dbUser }),
          binds: [`${n.filesVolumeOf(generation)}:${profile.filesMount}`, `${secrets.path(n.secretsDir)}:/run/secrets/tutti:ro`],
          network: n.network,
          memoryBytes: 512 * 1024 * 1024,
        },
        { prefix: cfg.prefix, site: spec.slug },
      );
      const info = await inspectContainer(docker, name);
      return { name, imageId: info!.Image };
    },

    /** Waits until the container's web server answers its health path (2xx/3xx); an exited, erroring or silent container fails with its log tail. */
    async waitWebHealthy(spec: SiteSpec, container: string, timeoutMs = 60_000): Promise<void> {
      const profile = profileOf(spec.platform);
      const url = `http://127.0.0.1${profile.healthPath}`;
      const logTail = async () => {
        const logs = await docker.getContainer(container).logs({ stdout: true, stderr: true, tail: 15 }).catch(() => Buffer.from(''));
        return tailOf(logs.toString('utf8').replace(/[^\x20-\x7e\n]/g, ''), 3);
      };
      try {
        await pollUntil(
          { what: `${container} answering ${profile.healthPath}`, expected: 'HTTP 2xx or 3xx', deadlineMs: timeoutMs, intervalMs: 250, type: FailureType.ContainerUnhealthy, step: 'waiting for the web container' },
          async () => {
            const info = await inspectContainer(docker, container);
            if (!info?.State.Running) throw ApplicationFailure.nonRetryable(`${container} is ${info?.State.Status ?? 'gone'}`, FailureType.ContainerUnhealthy);
            const r = await exec(docker, container, ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: ${spec.domains[0]}`, url]);
            const status = Number(r.stdout.trim());
            // Before the install a platform redirects to its installer: that is a healthy web server too.
            return status >= 200 && status < 400 ? { ready: true } : { saw: `HTTP ${r.stdout.trim() || r.stderr.trim()}` };
          },
        );
      } catch (err) {
        if (!(err instanceof ApplicationFailure) || err.type !== FailureType.ContainerUnhealthy) throw err;
        throw ApplicationFailure.create({ message: `${err.message}; container log: ${await logTail()}`, type: err.type, nonRetryable: true, details: err.details as unknown[] });
      }
    },

    /** Runs the platform's install (WordPress: tutti-wp install), which itself does nothing when already installed. */
    async installPlatform(spec: SiteSpec, container: string): Promise<void> {
      const profile = profileOf(spec.platform);
      for (const argv of profile.install(spec, { user: 'admin', email: `admin@${spec.domains[0]}` })) {
        const r = await heartbeatWhile(`install: ${argv.slice(0, 3).join(' ')}`, exec(docker, container, argv, { user: profile.execUser, timeoutMs: 600_000 }));
        if (r.exitCode !== 0) {
          throw ApplicationFailure.nonRetryable(`install of ${spec.slug} failed (${argv.slice(0, 3).filter((a) => !a.startsWith('-')).join(' ')} exited ${r.exitCode}): ${tailOf(`${r.stdout}\n${r.stderr}`, 3)}`, FailureType.InstallFailed);
        }
      }
    },

    /** Runs the platform's checks in a container (Drupal: drush status bootstraps, cv api4 answers); returns one line per check. */
    async checkPlatform(spec: SiteSpec, container: string): Promise<string[]> {
      const profile = profileOf(spec.platform);
      const lines: string[] = [];
      for (const argv of profile.checks()) {
        const r = await heartbeatWhile(`check: ${argv.slice(0, 2).join(' ')}`, exec(docker, container, argv, { user: profile.execUser, timeoutMs: 300_000 }));
        if (r.exitCode !== 0) {
          throw ApplicationFailure.nonRetryable(`platform check ${argv.slice(0, 2).join(' ')} in ${container} exited ${r.exitCode}: ${tailOf(`${r.stdout}\n${r.stderr}`, 3)}`, FailureType.ContainerUnhealthy);
        }
        lines.push(`${argv.slice(0, 2).join(' ')}: ${tailOf(r.stdout, 1)}`);
      }
      return lines;
    },

    /** Removes one web container (e.g. the old color after an upgrade). */
    async removeWebContainer(slug: string, container: string): Promise<boolean> {
      return removeContainer(docker, container, { prefix: cfg.prefix, site: slug });
    },

    /**
     * Removes every Docker and MariaDB resource of a site that Tutti made: containers, network,
     * files volume, database, user and secrets. Route and registry are handled by the caller
     * first, so Varnish never points at a removed container.
     */
    async removeSiteResources(slug: string): Promise<string[]> {
      const n = siteNames(cfg.prefix, slug);
      const owner = { prefix: cfg.prefix, site: slug };
      const removed: string[] = [];
      for (const c of await listByLabels(docker, { [LABEL.prefix]: cfg.prefix, [LABEL.site]: slug })) {
        const name = c.Names[0]!.replace(/^\//, '');
        if (await removeContainer(docker, name, owner)) removed.push(`container ${name}`);
      }
      await disconnectNetwork(docker, n.network, platform.varnishContainer).catch(() => undefined);
      await disconnectNetwork(docker, n.network, platform.mariadbContainer).catch(() => undefined);
      if (await removeNetwork(docker, n.network, owner)) removed.push(`network ${n.network}`);
      const volumes = (await docker.listVolumes({ filters: { label: [`${LABEL.prefix}=${cfg.prefix}`, `${LABEL.site}=${slug}`] } })).Volumes ?? [];
      for (const v of volumes) if (await removeVolume(docker, v.Name, owner)) removed.push(`volume ${v.Name}`);
      await dropDbUser(deps.db(), n.dbUser);
      for (const database of (await listDatabases(deps.db())).filter(n.isSiteDatabase)) {
        await dropDatabase(deps.db(), database);
        removed.push(`database ${database}`);
      }
      removed.push(`user ${n.dbUser}`);
      await secrets.remove(n.secretsDir);
      return removed;
    },

    /** Runs a command in the site's web container; for platform steps that need no secret on argv. */
    async runInWeb(spec: SiteSpec, container: string, argv: string[]): Promise<{ exitCode: number; outputTail: string }> {
      const profile = profileOf(spec.platform);
      const r = await execOk(docker, container, argv, { user: profile.execUser, timeoutMs: 600_000 });
      return { exitCode: r.exitCode, outputTail: tailOf(`${r.stdout}\n${r.stderr}`, 10) };
    },
  };
  return classified(acts);
}

export type SiteActivities = ReturnType<typeof createSiteActivities>;
