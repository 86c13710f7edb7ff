import type { S3Client } from '@aws-sdk/client-s3';
import type Docker from 'dockerode';
import type { Manifest } from '../src/backup/manifest';
import type { TuttiConfig } from '../src/config';
import type { Db } from '../src/infra/mariadb';
import type { SecretStore } from '../src/infra/secrets';
import type { Varnish } from '../src/infra/varnish';

/** What activities are built from. Each is created at the worker's entry point; DB and S3 lazily, since they may start after the worker. */
export interface ActivityDeps {
  cfg: TuttiConfig;
  docker: Docker;
  varnish: Varnish;
  secrets: SecretStore;
  /** Root connection to this host's MariaDB (the control plane's registry lives there too). */
  db: () => Db;
  s3: () => S3Client;
  /** The identity that started a workflow run (CLI user, UI), from its first history event. */
  starterIdentity: (workflowId: string, runId: string) => Promise<string>;
  /** Told when a backup's manifest is written; the worker's metrics update that site's backup age at once. */
  onBackupWritten?: (manifest: Manifest) => void;
}
