import { Connection } from '@temporalio/client';
import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readSecretFile, type TuttiConfig } from '../config';
import { createDocker } from '../infra/docker';
import { createS3, ensureBucket } from '../infra/s3';
import { generatePassword, SecretStore } from '../infra/secrets';
import { waitUntil } from '../infra/wait';
import { hostTaskQueue } from '../site/names';
import { ensureMariadbServer, ensureVarnishServer, requireDocker, startContainers, stopPlatformContainers } from './containers';
import { ensureProcess, PlatformError, requireFreePorts, runningPid, stopProcess, type ServiceProcess } from './processes';
import { codecEndpoint, codecService, minioService, temporalService, workerService } from './services';
import { ensureKeyFile } from '../codec';
import { ensureRegistrySchema, listSites } from '../infra/registry';
import { reconcileFleetBackupSchedule } from '../client/schedules';
import { connectHostDb } from '../infra/mariadb';
import { createRouteActivities } from '../../activities/routes';
import { buildDeps } from '../worker/deps';
import { ensureRelay, relayNames, stopRelay } from './relay';
import { describeRoute } from '../site/mail';
import { reconcileSiteCrons } from './crons';
import { challtestsrvService, ensurePebbleFiles, pebbleService } from './pebble';
import { ensureTerminator, stopTerminator } from './terminator';
import { reconcileCertRenewalSchedule } from '../client/certSchedule';

export interface UpOptions {
  worker: boolean;
  /** One line per component, as it happens. */
  say: (line: string) => void;
}

const CODEC_PORT_HINT = 'set TUTTI_CODEC_PORT to a free port';
const TEMPORAL_PORT_HINT = 'set TEMPORAL_ADDRESS / TUTTI_TEMPORAL_UI_PORT to free ports';
const MINIO_PORT_HINT = 'set TUTTI_MINIO_PORT to a free port';
const PEBBLE_PORT_HINT = 'set TUTTI_PEBBLE_PORT to a free port (Pebble uses it, +1000, +53 and +55)';

async function requireBinary(path: string, how: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new PlatformError(`${path} is missing; ${how}`);
  }
}

/**
 * Starts whatever of the platform is not running yet: Temporal, MinIO, the host's MariaDB and
 * Varnish containers, the bucket, the registry schema and the worker. Running twice changes nothing.
 */
export async function platformUp(cfg: TuttiConfig, opts: UpOptions): Promise<void> {
  const { say } = opts;
  const secrets = new SecretStore(join(cfg.dataDir, 'secrets'));
  const docker = createDocker(cfg.docker);
  say(`docker     engine ${await requireDocker(docker)}`);
  // every host process's ports before any of them starts: a taken one leaves nothing half-started
  await requireFreePorts([
    ...(cfg.codec.server.enabled ? [{ svc: codecService(cfg), portHint: CODEC_PORT_HINT }] : []),
    { svc: temporalService(cfg), portHint: TEMPORAL_PORT_HINT },
    { svc: minioService(cfg, ''), portHint: MINIO_PORT_HINT }, // its secret plays no part in the check
    ...(cfg.tls.pebble.enabled ? [challtestsrvService(cfg), pebbleService(cfg)].map((svc) => ({ svc, portHint: PEBBLE_PORT_HINT })) : []),
  ]);

  // The first payload key; more keys (rotation) are the operator's, listed in TUTTI_CODEC_KEY_FILES.
  if (await ensureKeyFile(cfg.codec.keyFiles[0]!)) say(`codec      created payload key ${cfg.codec.keyFiles[0]}`);
  if (cfg.codec.server.enabled) {
    const codec = codecService(cfg);
    const restarted = await restartIfStale(codec);
    const c = await ensureProcess(codec, CODEC_PORT_HINT);
    say(`codec      ${restarted ? 'restarted for the new build' : c.state} (pid ${c.pid}) ${codecEndpoint(cfg)} for the UI, key ${cfg.codec.activeKeyId}; log ${codec.logFile}`);
  }

  const temporal = temporalService(cfg);
  await requireBinary(temporal.command, 'install it with scripts/up (go install github.com/temporalio/cli/cmd/temporal@v1.5.1)');
  const reconfigured = await restartIfArgsChanged(temporal);
  const t = await ensureProcess(temporal, TEMPORAL_PORT_HINT);
  say(`temporal   ${reconfigured ? 'restarted with new settings' : t.state} (pid ${t.pid}) grpc ${cfg.temporal.address}, UI http://127.0.0.1:${cfg.temporal.uiPort}, namespace ${cfg.temporal.namespace}`);

  const s3Secret = await secrets.ensure('s3_secret_access_key', () => generatePassword(40));
  if (cfg.s3.secretAccessKeyFile !== secrets.path('s3_secret_access_key')) readSecretFile(cfg.s3.secretAccessKeyFile);
  const minio = minioService(cfg, s3Secret);
  await requireBinary(minio.command, 'install it with scripts/up (go install github.com/minio/minio)');
  const m = await ensureProcess(minio, MINIO_PORT_HINT);
  const s3 = createS3(cfg.s3, s3Secret);
  const created = await waitUntil(`MinIO bucket ${cfg.s3.bucket}`, () => ensureBucket(s3, cfg.s3.bucket, cfg.s3.endpoint), { timeoutMs: 30_000, intervalMs: 500 });
  s3.destroy();
  say(`minio      ${m.state} (pid ${m.pid}) ${cfg.s3.endpoint}, bucket ${cfg.s3.bucket}${created ? ' (created)' : ''}`);

  if (cfg.tls.pebble.enabled) await startPebble(cfg, say);

  const maria = await ensureMariadbServer(docker, cfg, secrets);
  say(`mariadb    ${maria.outcome} ${maria.version} on 127.0.0.1:${cfg.mariadb.port}`);
  await ensureRegistrySchema(cfg);
  const startedSites = await startContainers(docker, await liveWebContainers(cfg));
  if (startedSites.length) say(`sites      started ${startedSites.length} web container(s)`);
  const varnish = await ensureVarnishServer(docker, cfg);
  const routes = await syncHostRoutes(cfg);
  say(`varnish    ${varnish.outcome} on http://127.0.0.1:${cfg.varnish.httpPort}, ${routes.routed.length} site(s) routed (VCL ${routes.vcl})`);
  const tls = await ensureTerminator(docker, cfg, secrets);
  say(`tls        ${tls.outcome} on https://127.0.0.1:${cfg.tls.httpsPort} (HAProxy, ${tls.certificates} site certificate(s)); ACME ${cfg.tls.acme.directoryUrl ?? 'off'}`);
  const relay = await ensureRelay(docker, cfg);
  say(`relay      ${relay.outcome} ${relayNames(cfg.prefix).container} on ${relay.networks} site network(s) as "mail"; ${describeRoute(cfg.mail.route)}`);
  say(`crons      ${await reconcileSiteCrons(cfg)}`);

  if (opts.worker) {
    const worker = workerService(cfg);
    const restarted = await restartIfStale(worker);
    const w = await ensureProcess(worker, '');
    await waitForPollers(cfg, hostTaskQueue(cfg.hostName), worker.logFile);
    say(`worker     ${restarted ? 'restarted for the new build' : w.state} (pid ${w.pid}) queues ${cfg.temporal.taskQueue}, ${hostTaskQueue(cfg.hostName)}; log ${worker.logFile}`);
  }
  say(`backups    ${await reconcileFleetBackupSchedule(cfg)}`);
  say(`certs      ${await reconcileCertRenewalSchedule(cfg)}`);
}

/** Pebble's DNS server first (Pebble resolves through it), then Pebble. */
async function startPebble(cfg: TuttiConfig, say: (line: string) => void): Promise<void> {
  await ensurePebbleFiles(cfg);
  const dns = challtestsrvService(cfg);
  const pebble = pebbleService(cfg);
  for (const svc of [dns, pebble]) await requireBinary(svc.command, 'install it with scripts/up (go install github.com/letsencrypt/pebble/v2/cmd/...@v2.10.3)');
  const d = await ensureProcess(dns, PEBBLE_PORT_HINT);
  const reconfigured = await restartIfArgsChanged(pebble);
  const p = await ensureProcess(pebble, PEBBLE_PORT_HINT);
  say(`pebble     ${reconfigured ? 'restarted with new settings' : p.state} (pid ${p.pid}) ACME ${cfg.tls.acme.directoryUrl}, DNS 127.0.0.1:${cfg.tls.pebble.dnsPort} (pid ${d.pid}); test CA only, trusted by nothing`);
}

async function liveWebContainers(cfg: TuttiConfig): Promise<string[]> {
  const db = connectHostDb(cfg);
  try {
    return (await listSites(db, cfg.hostName)).flatMap((site) => (site.activeContainer ? [site.activeContainer] : []));
  } finally {
    await db.end();
  }
}

/** A worker started before the last build runs old code: stop it so it starts again (its activities are retried). */
async function restartIfStale(worker: ServiceProcess): Promise<boolean> {
  if (!(await runningPid(worker))) return false;
  const [started, built] = await Promise.all([stat(worker.pidFile), stat(join(__dirname, '..', '..', '.build-stamp')).catch(() => undefined)]);
  if (!built || built.mtimeMs <= started.mtimeMs) return false;
  await stopProcess(worker);
  return true;
}

/** A process started with other arguments (e.g. before the codec server existed) is stopped, so it starts again with the current ones. */
async function restartIfArgsChanged(svc: ServiceProcess): Promise<boolean> {
  const pid = await runningPid(svc);
  if (!pid) return false;
  const running = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').slice(1, -1);
  if (running.join('\0') === svc.args.join('\0')) return false;
  await stopProcess(svc);
  return true;
}

/** Rebuilds this host's VCL from the registry: after a new Varnish container, or containers that got new addresses. */
async function syncHostRoutes(cfg: TuttiConfig): Promise<{ vcl: string; routed: string[] }> {
  const deps = buildDeps(cfg);
  try {
    return await createRouteActivities(deps).syncRoutes(cfg.hostName);
  } finally {
    await deps.close();
  }
}

/** Waits until some worker polls `taskQueue`, so `up` only reports a worker that really serves. */
async function waitForPollers(cfg: TuttiConfig, taskQueue: string, logFile: string): Promise<void> {
  const connection = await Connection.connect({ address: cfg.temporal.address });
  try {
    await waitUntil(
      `worker polling ${taskQueue} (see ${logFile})`,
      async () => {
        const r = await connection.workflowService.describeTaskQueue({ namespace: cfg.temporal.namespace, taskQueue: { name: taskQueue }, taskQueueType: 2 });
        return (r.pollers?.length ?? 0) > 0 ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
  } finally {
    await connection.close();
  }
}

/** Stops processes and containers; nothing is removed, so a later `up` finds everything. */
export async function platformDown(cfg: TuttiConfig, say: (line: string) => void): Promise<void> {
  const secrets = new SecretStore(join(cfg.dataDir, 'secrets'));
  const s3Secret = (await secrets.read('s3_secret_access_key')) ?? '';
  for (const svc of [workerService(cfg), minioService(cfg, s3Secret), temporalService(cfg), codecService(cfg), pebbleService(cfg), challtestsrvService(cfg)]) {
    say(`${svc.name.padEnd(10)} ${(await stopProcess(svc)) ? 'stopped' : 'was not running'}`);
  }
  const docker = createDocker(cfg.docker);
  try {
    if (await stopTerminator(docker, cfg)) say('tls        stopped');
    const stopped = await stopPlatformContainers(docker, cfg);
    say(`containers ${stopped.length ? `stopped ${stopped.join(', ')}` : 'were not running'} (volumes kept)`);
    say(`relay      ${(await stopRelay(docker, cfg)) ? 'stopped' : 'was not running'} (queue and mailbox kept)`);
  } catch (err) {
    say(`containers not stopped: ${(err as Error).message.split('\n')[0]}`);
  }
}
