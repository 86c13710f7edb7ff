import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TuttiConfig } from '../../src/config';
import { createDocker } from '../../src/infra/docker';
import { exec, execOk } from '../../src/infra/dockerExec';
import { siteNames } from '../../src/site/names';
import { DRUPAL_ROOT } from '../../src/site/platforms';

/** drush in a Drupal container as the web server's user; throws with the output on a non-zero exit. */
export async function drush(cfg: TuttiConfig, container: string, ...args: string[]): Promise<string> {
  return (await execOk(createDocker(cfg.docker), container, ['drush', `--root=${DRUPAL_ROOT}`, ...args], { user: 'www-data', timeoutMs: 300_000 })).stdout;
}

/** cv in a Drupal + CiviCRM container as the web server's user; JSON output parsed. */
export async function cv<T = unknown>(cfg: TuttiConfig, container: string, ...args: string[]): Promise<T> {
  const out = (await execOk(createDocker(cfg.docker), container, ['cv', `--cwd=${DRUPAL_ROOT}`, ...args, '--out=json'], { user: 'www-data', timeoutMs: 300_000 })).stdout;
  return JSON.parse(out) as T;
}

/** `tutti-drupal status` of a container: versions and whether Drupal bootstraps. */
export async function drupalStatus(cfg: TuttiConfig, container: string): Promise<{ drupal_version: string; bootstrap: string; php_version: string; civicrm_version?: string }> {
  const r = await exec(createDocker(cfg.docker), container, ['tutti-drupal', 'status'], { user: 'www-data', timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new Error(`tutti-drupal status failed in ${container}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as never;
}

/** Every secret file of a site by name, read from the secrets store (the test runs as root). */
export function siteSecrets(cfg: TuttiConfig, slug: string): Record<string, string> {
  const dir = join(cfg.dataDir, 'secrets', siteNames(cfg.prefix, slug).secretsDir);
  return Object.fromEntries(readdirSync(dir).filter((f) => !f.endsWith('.tmp')).map((f) => [f, readFileSync(join(dir, f), 'utf8').trim()]));
}

/** Which of the secrets occur in a text (also URL-encoded, as they would in a DSN). */
export function secretsIn(text: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, v]) => v.length >= 16 && (text.includes(v) || text.includes(encodeURIComponent(v))))
    .map(([k]) => k);
}

/** The whole data volume of a Drupal container as one tar stream (read from stdout, nothing on argv but the path). */
export async function dataVolumeTar(cfg: TuttiConfig, container: string): Promise<string> {
  const r = await execOk(createDocker(cfg.docker), container, ['tar', '-C', '/var/www/tutti-data', '-cf', '-', '.'], { timeoutMs: 300_000 });
  return r.stdout;
}
