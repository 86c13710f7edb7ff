import { join, resolve } from 'node:path';
import type { TuttiConfig } from '../config';
import { SEARCH_ATTRIBUTE_TYPES } from '../site/searchAttributes';
import type { ServiceProcess } from './processes';

export function binDir(cfg: TuttiConfig): string {
  return join(cfg.cacheDir, 'bin');
}

function portOf(address: string): number {
  const port = Number(address.split(':').pop());
  if (!Number.isInteger(port)) throw new Error(`TEMPORAL_ADDRESS=${address}: expected host:port`);
  return port;
}

/** The Temporal CLI's dev server: SQLite history under the data dir, Web UI, Tutti's search attributes. */
export function temporalService(cfg: TuttiConfig): ServiceProcess {
  const dbFile = join(cfg.dataDir, 'temporal.sqlite');
  const saArgs = Object.entries(SEARCH_ATTRIBUTE_TYPES).flatMap(([k, t]) => ['--search-attribute', `${k}=${t}`]);
  const grpc = portOf(cfg.temporal.address);
  return {
    name: 'temporal',
    command: join(binDir(cfg), 'temporal'),
    args: [
      'server', 'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(grpc),
      '--ui-port', String(cfg.temporal.uiPort),
      '--db-filename', dbFile,
      '--namespace', cfg.temporal.namespace,
      '--log-level', 'warn',
      ...(cfg.codec.server.enabled ? ['--ui-codec-endpoint', codecEndpoint(cfg)] : []),
      ...saArgs,
    ],
    marker: dbFile,
    ...runFiles(cfg, 'temporal'),
    ports: [grpc, cfg.temporal.uiPort],
    readyTimeoutMs: 90_000,
  };
}

/** A host process's pid file and log, named after it under the data dir. */
function runFiles(cfg: TuttiConfig, name: string): Pick<ServiceProcess, 'pidFile' | 'logFile'> {
  return { pidFile: join(cfg.dataDir, 'run', `${name}.pid`), logFile: join(cfg.dataDir, 'logs', `${name}.log`) };
}

/** Where the Web UI (in the operator's browser) sends payloads to be decoded. */
export function codecEndpoint(cfg: TuttiConfig): string {
  return `http://127.0.0.1:${cfg.codec.server.port}`;
}

/** The codec server (src/codec-server): holds the payload keys, so the UI shows decoded inputs while Temporal stores ciphertext. */
export function codecService(cfg: TuttiConfig): ServiceProcess {
  const main = resolve(__dirname, '..', 'codec-server', 'main.js');
  return {
    name: 'codec',
    command: process.execPath,
    args: [main],
    marker: main,
    ...runFiles(cfg, 'codec'),
    ports: [cfg.codec.server.port],
    readyTimeoutMs: 30_000,
  };
}

/** MinIO as the S3 endpoint; its root secret comes from the secrets store via the environment of this one host process. */
export function minioService(cfg: TuttiConfig, secretKey: string): ServiceProcess {
  const dataPath = join(cfg.dataDir, 'minio');
  return {
    name: 'minio',
    command: join(binDir(cfg), 'minio'),
    args: ['server', dataPath, '--address', `127.0.0.1:${cfg.s3.minioPort}`, '--console-address', `127.0.0.1:${cfg.s3.minioPort + 1}`, '--quiet'],
    env: { MINIO_ROOT_USER: cfg.s3.accessKeyId, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'off' },
    marker: dataPath,
    ...runFiles(cfg, 'minio'),
    ports: [cfg.s3.minioPort],
    readyTimeoutMs: 60_000,
  };
}

/** The worker: one process serving the `tutti` queue and this host's queue. */
export function workerService(cfg: TuttiConfig): ServiceProcess {
  const main = resolve(__dirname, '..', 'worker', 'main.js');
  return {
    name: 'worker',
    command: process.execPath,
    args: [main],
    marker: main,
    ...runFiles(cfg, 'worker'),
    ports: [],
  };
}
