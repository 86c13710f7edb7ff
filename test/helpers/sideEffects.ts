import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import mysql from 'mysql2/promise';
import { readSecretFile, type TuttiConfig } from '../../src/config';
import { createDocker } from '../../src/infra/docker';
import { createS3 } from '../../src/infra/s3';
import { activeVcl, rootDb } from './sites';

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Everything a workflow could have changed, read from the real services: Docker resources under
 * the test prefix, databases and users, registry and audit rows, backup objects, secret files,
 * the active VCL and Temporal Schedules. Two equal snapshots mean nothing happened.
 */
export async function snapshot(cfg: TuttiConfig, client: Client) {
  const docker = createDocker(cfg.docker);
  const label = { label: [`tutti.prefix=${cfg.prefix}`] };
  const db = rootDb(cfg);
  const s3 = createS3(cfg.s3, readSecretFile(cfg.s3.secretAccessKeyFile));
  try {
    const [databases] = await db.query<mysql.RowDataPacket[]>('SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA ORDER BY 1');
    const [users] = await db.query<mysql.RowDataPacket[]>("SELECT CONCAT(User, '@', Host) AS n FROM mysql.user ORDER BY 1");
    const [sites] = await db.query<mysql.RowDataPacket[]>('SELECT slug FROM tutti.sites ORDER BY 1');
    const [audit] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM tutti.audit');
    const objects = await s3.send(new ListObjectsV2Command({ Bucket: cfg.s3.bucket }));
    const schedules: string[] = [];
    for await (const s of client.schedule.list()) schedules.push(s.scheduleId);
    return {
      containers: (await docker.listContainers({ all: true, filters: label })).map((c) => c.Names[0]).sort(),
      volumes: ((await docker.listVolumes({ filters: label })).Volumes ?? []).map((v) => v.Name).sort(),
      networks: (await docker.listNetworks({ filters: label })).map((n) => n.Name).sort(),
      databases: databases.map((r) => String(r.n)),
      users: users.map((r) => String(r.n)),
      sites: sites.map((r) => String(r.slug)),
      auditRows: Number(audit[0]!.n),
      objects: (objects.Contents ?? []).map((o) => o.Key).sort(),
      secrets: files(join(cfg.dataDir, 'secrets')),
      vcl: await activeVcl(docker, cfg),
      schedules: schedules.sort(),
    };
  } finally {
    await db.end();
    s3.destroy();
  }
}
