import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TuttiConfig } from '../../src/config';
import { createDocker } from '../../src/infra/docker';
import { exec, type ExecResult } from '../../src/infra/dockerExec';
import { phpString } from '../../src/site/platforms';

const run = promisify(execFile);
const cliPath = resolve(__dirname, '../../dist/src/cli/main.js');

/** `bin/tutti …` as an operator runs it (the built CLI, the test platform's environment). */
export async function tutti(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [cliPath, ...args], { env: process.env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** PHP with WordPress loaded, in the site's container as the web server's user (as a plugin's code would run). */
export async function wpPhp(cfg: TuttiConfig, container: string, code: string): Promise<ExecResult> {
  const boot = '$_SERVER["HTTP_HOST"] = parse_url(getenv("TUTTI_SITE_URL"), PHP_URL_HOST); define("WP_USE_THEMES", false); require "/usr/share/wordpress/wp-load.php";';
  return exec(createDocker(cfg.docker), container, ['php', '-r', `${boot} ${code}`], { user: 'www-data' });
}

/**
 * A must-use plugin with the hooks the tests schedule as WordPress cron events: one that marks
 * an option, one that throws, one that overruns, one that sends mail. It lives in the site's
 * wp-content volume, as an operator's plugin would.
 */
export const TEST_PLUGIN = `<?php
add_action('tutti_test_mark', function ($token) { update_option('tutti_test_mark_' . $token, gmdate('c'), false); });
add_action('tutti_test_fail', function ($token) { throw new RuntimeException("tutti test hook failed on purpose ($token)"); });
add_action('tutti_test_slow', function ($seconds) { sleep((int) $seconds); });
add_action('tutti_test_mail', function ($token) { wp_mail('member@example.org', "cron mail $token", "sent by a cron event $token"); });
`;

export async function installTestPlugin(cfg: TuttiConfig, container: string): Promise<void> {
  const docker = createDocker(cfg.docker);
  const dir = '/var/lib/wordpress/wp-content/mu-plugins';
  await exec(docker, container, ['mkdir', '-p', dir], { user: 'www-data' });
  const r = await exec(docker, container, ['tee', `${dir}/tutti-test.php`], { user: 'www-data', stdin: TEST_PLUGIN });
  if (r.exitCode !== 0) throw new Error(`writing the test plugin failed: ${r.stderr}`);
}

/** Schedules a single WordPress cron event, due now. */
export async function scheduleEvent(cfg: TuttiConfig, container: string, hook: string, arg: string | number): Promise<void> {
  const r = await wpPhp(cfg, container, `var_export(wp_schedule_single_event(time() - 1, ${phpString(hook)}, [${typeof arg === 'number' ? arg : phpString(arg)}]));`);
  if (r.stdout.trim() !== 'true') throw new Error(`scheduling ${hook} failed: ${r.stdout} ${r.stderr}`);
}

export async function wpOption(cfg: TuttiConfig, container: string, name: string): Promise<string | undefined> {
  const r = await wpPhp(cfg, container, `$v = get_option(${phpString(name)}); echo $v === false ? "" : $v;`);
  return r.stdout.trim() || undefined;
}

/** The relay's mailbox: every message containing `text`, in full. */
export async function mailboxFind(cfg: TuttiConfig, relay: string, text: string): Promise<string> {
  return (await exec(createDocker(cfg.docker), relay, ['tutti-mailbox', 'find', text])).stdout;
}
