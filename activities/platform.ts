import { serverVersion } from '../src/infra/mariadb';
import { checkBucket } from '../src/infra/s3';
import { UnavailableError } from '../src/infra/errors';
import { platformNames } from '../src/site/names';
import type { ActivityDeps } from './deps';

export type Component = 'docker' | 'mariadb' | 'varnish' | 's3';

export interface ComponentReport {
  component: Component;
  ok: boolean;
  version?: string;
  /** One line: what was seen. */
  detail: string;
  /** When not ok: what to do next. */
  hint?: string;
}

async function probe(component: Component, hint: string, fn: () => Promise<{ version: string; detail: string }>): Promise<ComponentReport> {
  try {
    return { component, ok: true, ...(await fn()) };
  } catch (err) {
    if (err instanceof UnavailableError) return { component, ok: false, detail: err.message.split(';')[0]!, hint: err.hint };
    const msg = err instanceof Error ? err.message : String(err);
    return { component, ok: false, detail: msg.split('\n')[0]!, hint };
  }
}

/** Health probes of each real component; they report rather than throw, so one broken part does not hide the others. */
export function createPlatformActivities(deps: ActivityDeps) {
  const { docker, varnish, cfg } = deps;
  const names = platformNames(cfg.prefix);

  async function runningContainer(name: string): Promise<void> {
    const info = await docker.getContainer(name).inspect().catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) throw new UnavailableError(name, 'container does not exist', 'run npm run up');
      throw err;
    });
    if (!info.State.Running) throw new UnavailableError(name, `container is ${info.State.Status}`, `start it with npm run up (or docker start ${name})`);
  }

  return {
    async checkDocker(): Promise<ComponentReport> {
      return probe('docker', 'start the engine with npm run up, or set DOCKER_HOST', async () => {
        const v = await docker.version();
        const info = await docker.info();
        return { version: v.Version, detail: `${info.ContainersRunning} containers running, storage ${info.Driver}` };
      });
    },

    async checkMariadb(): Promise<ComponentReport> {
      return probe('mariadb', `run npm run up; see docker logs ${names.mariadbContainer}`, async () => {
        await runningContainer(names.mariadbContainer);
        const version = await serverVersion(deps.db());
        return { version, detail: `${names.mariadbContainer} answers on 127.0.0.1:${cfg.mariadb.port}` };
      });
    },

    async checkVarnish(): Promise<ComponentReport> {
      return probe('varnish', `run npm run up; see docker logs ${names.varnishContainer}`, async () => {
        await runningContainer(names.varnishContainer);
        await varnish.ping();
        const vcls = await varnish.listVcls();
        const active = vcls.find((v) => v.status === 'active')?.name ?? 'none';
        return { version: await varnish.version(), detail: `active VCL ${active}, listening on 127.0.0.1:${cfg.varnish.httpPort}` };
      });
    },

    async checkS3(): Promise<ComponentReport> {
      return probe('s3', 'start MinIO with npm run up, or check TUTTI_S3_*', async () => {
        await checkBucket(deps.s3(), cfg.s3.bucket, cfg.s3.endpoint);
        return { version: 'S3 API', detail: `bucket ${cfg.s3.bucket} reachable at ${cfg.s3.endpoint ?? 'AWS'}` };
      });
    },
  };
}

export type PlatformActivities = ReturnType<typeof createPlatformActivities>;
