import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { REDACTED } from '../../activities/secretsRedaction';
import { startBackupSite } from '../../src/client/backups';
import { startRotateSiteSecrets } from '../../src/client/secrets';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import type { TuttiConfig } from '../../src/config';
import { createDocker } from '../../src/infra/docker';
import { siteNames } from '../../src/site/names';
import { WorkerProcess } from '../helpers/workerProcess';
import { decodedHistoryText, historyBytes, occurrences, rawHistory, sampleCmdlines } from '../helpers/leaks';
import { testClient, testConfig } from '../helpers/platform';

/** The real Drupal + CiviCRM image, whose install, like a misconfigured one, prints every secret it can read and fails. */
function buildLeakyImage(tag: string): void {
  const dockerfile = [
    'FROM tutti/drupal-civicrm:10.3-6.5-php8.2-bookworm',
    `RUN printf '%s\\n' '#!/bin/sh' 'for f in civicrm_site_key civicrm_cred_keys civicrm_sign_keys drupal_hash_salt db_password; do cat /run/secrets/tutti/$f; echo; done >&2' 'exit 1' > /usr/local/bin/tutti-drupal \\`,
    ' && chmod 755 /usr/local/bin/tutti-drupal',
    'LABEL tutti.managed=true',
  ].join('\n');
  execFileSync('docker', ['build', '-q', '-t', tag, '-'], { input: dockerfile, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
}

function secretsOf(cfg: TuttiConfig, slug: string): Record<string, string> {
  const dir = join(cfg.dataDir, 'secrets', siteNames(cfg.prefix, slug).secretsDir);
  const out: Record<string, string> = {};
  for (const f of ['db_password', 'wp_admin_password', 'wp_salts.php', 'civicrm_site_key', 'civicrm_cred_keys', 'civicrm_sign_keys', 'drupal_hash_salt', 'admin_password']) {
    if (existsSync(join(dir, f))) out[f] = readFileSync(join(dir, f), 'utf8').trim();
  }
  return out;
}

/** The site's TLS private key and the ACME account key: each base64 line of their PEM bodies, and each body whole. */
function tlsKeys(cfg: TuttiConfig, slug: string): string[] {
  const secrets = join(cfg.dataDir, 'secrets');
  const pems = [readFileSync(join(secrets, 'tls', `${slug}.pem`), 'utf8'), ...readdirSync(join(secrets, 'acme')).filter((f) => f.endsWith('.key')).map((f) => readFileSync(join(secrets, 'acme', f), 'utf8'))];
  return pems.flatMap((pem) => {
    const body = /-----BEGIN PRIVATE KEY-----\n([\s\S]+?)\n-----END PRIVATE KEY-----/.exec(pem)![1]!;
    return [body.replace(/\n/g, ''), ...body.split('\n').filter((l) => l.length >= 20)];
  });
}

/** The values to look for: each secret, each salt of the salts file, the key inside CiviCRM's credential- and signing-key strings. */
function needles(secrets: Record<string, string>): string[] {
  return Object.entries(secrets).flatMap(([file, value]) => {
    if (file === 'wp_salts.php') return [...value.matchAll(/'([A-Za-z0-9]{64})'/g)].map((m) => m[1]!);
    if (file === 'civicrm_cred_keys' || file === 'civicrm_sign_keys') return [value, value.split(':').pop()!];
    return [value];
  });
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause: unknown = (err as WorkflowFailedError).cause;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
  return cause as ApplicationFailure;
}

describe('secrets never leak', () => {
  const cfg = testConfig();
  const leakyImage = `${cfg.prefix}/drupal:leaky-install`;
  let client: Client;
  let worker: WorkerProcess;
  beforeAll(async () => {
    buildLeakyImage(leakyImage);
    client = await testClient(cfg);
    // A separate process, like the real one: its log file is the worker log.
    worker = new WorkerProcess(cfg, 'leak-worker');
    await worker.start();
  });
  afterAll(async () => {
    await worker.stop();
    await client.connection.close();
    await createDocker(cfg.docker).getImage(leakyImage).remove().catch(() => undefined);
  });

  it('create, back up, rotate, and a failure that would print the secrets: none of them anywhere', async () => {
    const cmdlines = sampleCmdlines();
    try {
      await leakProof(cmdlines);
    } finally {
      await cmdlines.stop();
      await startDeleteSite(client, cfg, { site: 'vault', finalBackup: false })
        .then((h) => h.result())
        .catch(() => undefined);
    }
  });

  async function leakProof(cmdlines: ReturnType<typeof sampleCmdlines>): Promise<void> {
    const runs: { workflowId: string; runId: string }[] = [];
    const record = <T extends { workflowId: string; firstExecutionRunId: string }>(h: T) => {
      runs.push({ workflowId: h.workflowId, runId: h.firstExecutionRunId });
      return h;
    };
    const created = record(await startCreateSite(client, cfg, { domains: ['vault.example'], title: 'Vault Choir' }));
    await created.result();
    const beforeRotation = secretsOf(cfg, 'vault');
    const keys = tlsKeys(cfg, 'vault'); // createSite issued its certificate
    await record(await startBackupSite(client, cfg, { site: 'vault' })).result();
    await record(await startRotateSiteSecrets(client, cfg, { site: 'vault', graceSeconds: 2 })).result();
    const afterRotation = secretsOf(cfg, 'vault');

    // The stand-in's install fails printing its DB password and CiviCRM keys; the saga then removes them, so catch them while they exist.
    let leaky: Record<string, string> = {};
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const s = secretsOf(cfg, 'leaky');
        if (Object.keys(s).length > Object.keys(leaky).length) leaky = s;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const failed = record(await startCreateSite(client, cfg, { domains: ['leaky.example'], platform: 'drupal-civicrm', image: leakyImage }));
    const cause = await failureOf(failed.result());
    watching = false;
    await watch;
    const sampled = await cmdlines.stop();

    expect(Object.keys(leaky).sort()).toEqual(['admin_password', 'civicrm_cred_keys', 'civicrm_sign_keys', 'civicrm_site_key', 'db_password', 'drupal_hash_salt']);
    expect(cause.type).toBe('InstallFailed');
    expect(afterRotation.db_password).not.toBe(beforeRotation.db_password);

    expect(keys.length).toBeGreaterThanOrEqual(6);
    const secrets = [...new Set([...needles(beforeRotation), ...needles(afterRotation), ...needles(leaky), ...keys])];
    expect(secrets.length).toBeGreaterThanOrEqual(22);
    expect(secrets.every((s) => s.length >= 20)).toBe(true);

    const places: Record<string, Buffer | string> = {};
    for (const run of runs) {
      const history = await rawHistory(cfg, run.workflowId, run.runId);
      places[`history ${run.workflowId} ${run.runId} (as stored)`] = historyBytes(history);
      places[`history ${run.workflowId} ${run.runId} (decoded, as the UI shows it)`] = await decodedHistoryText(cfg, history);
    }
    places['Temporal SQLite'] = Buffer.concat(['temporal.sqlite', 'temporal.sqlite-wal'].filter((f) => existsSync(join(cfg.dataDir, f))).map((f) => readFileSync(join(cfg.dataDir, f))));
    places['worker log'] = worker.logs();
    places['codec server log'] = readFileSync(join(cfg.dataDir, 'logs', 'codec.log'), 'utf8');
    places['Temporal log'] = readFileSync(join(cfg.dataDir, 'logs', 'temporal.log'), 'utf8');
    const docker = createDocker(cfg.docker);
    for (const c of await docker.listContainers({ all: true })) places[`docker inspect ${c.Names[0]}`] = JSON.stringify(await docker.getContainer(c.Id).inspect());
    places[`/proc/*/cmdline (${sampled.samples} samples)`] = [...sampled.cmdlines].join('\n');

    const found = Object.entries(places).flatMap(([place, text]) => secrets.filter((s) => occurrences(text, s) > 0).map((s) => `${place}: ${s.slice(0, 4)}…`));
    expect(found).toEqual([]);
    expect(cause.message).toContain(REDACTED); // the message would have held them

    // The places were really searched: the site, the failure and the processes are all in them.
    expect(occurrences(places['Temporal SQLite']!, 'site/vault')).toBeGreaterThan(0);
    expect(occurrences(places['worker log']!, REDACTED)).toBeGreaterThan(0);
    expect(sampled.samples).toBeGreaterThan(100);
    expect([...sampled.cmdlines].some((c) => c.includes('tutti-wp'))).toBe(true);
  }
});
