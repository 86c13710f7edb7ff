import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Connection } from '@temporalio/client';
import type { ActivityDeps } from '../../activities/deps';
import { readSecretFile, type TuttiConfig } from '../config';
import { createDocker } from '../infra/docker';
import { connectHostDb, type Db } from '../infra/mariadb';
import { createS3 } from '../infra/s3';
import { SecretStore } from '../infra/secrets';
import { Varnish } from '../infra/varnish';
import { platformNames } from '../site/names';

/** Builds the activities' dependencies; DB and S3 clients are made on first use, so the worker starts before them. */
export function buildDeps(cfg: TuttiConfig, hooks: Pick<ActivityDeps, 'onBackupWritten'> = {}): ActivityDeps & { close(): Promise<void> } {
  const docker = createDocker(cfg.docker);
  const secrets = new SecretStore(join(cfg.dataDir, 'secrets'));
  let db: Db | undefined;
  let s3: S3Client | undefined;
  let temporal: Promise<Connection> | undefined;
  return {
    cfg,
    docker,
    secrets,
    varnish: new Varnish(docker, platformNames(cfg.prefix).varnishContainer),
    ...hooks,
    db() {
      db ??= connectHostDb(cfg);
      return db;
    },
    s3() {
      s3 ??= createS3(cfg.s3, readSecretFile(cfg.s3.secretAccessKeyFile));
      return s3;
    },
    async starterIdentity(workflowId, runId) {
      temporal ??= Connection.connect({ address: cfg.temporal.address });
      const { history } = await (await temporal).workflowService.getWorkflowExecutionHistory({
        namespace: cfg.temporal.namespace,
        execution: { workflowId, runId },
        maximumPageSize: 1,
      });
      // the dev server's Web UI has no login and starts runs without an identity
      return history?.events?.[0]?.workflowExecutionStartedEventAttributes?.identity || 'anonymous';
    },
    async close() {
      await db?.end();
      s3?.destroy();
      if (temporal) await (await temporal).close();
    },
  };
}
