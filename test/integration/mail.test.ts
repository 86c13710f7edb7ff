import { request } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TuttiConfig } from '../../src/config';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { createDocker, inspectContainer } from '../../src/infra/docker';
import { exec } from '../../src/infra/dockerExec';
import { waitUntil } from '../../src/infra/wait';
import { RELAY_ALIAS } from '../../src/site/mail';
import { platformLabels, platformNames, siteNames } from '../../src/site/names';
import { ensureRelay, relayAnswers, relayNames } from '../../src/platform/relay';
import { installTestPlugin, mailboxFind, scheduleEvent, tutti, wpPhp } from '../helpers/cron';
import { startWorker, type RunningWorker } from '../helpers/platform';

const SLUG = 'mailwp';
const token = () => Math.random().toString(36).slice(2, 10);

/** A browser's form POST through Varnish. */
function postForm(cfg: TuttiConfig, path: string, host: string, form: Record<string, string>): Promise<number> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request(`http://127.0.0.1:${cfg.varnish.httpPort}${path}`, { method: 'POST', headers: { host, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('site mail leaves through the host relay', () => {
  let w: RunningWorker;
  let container: string;
  let relay: string;
  const docker = () => createDocker(w.cfg.docker);

  beforeAll(async () => {
    w = await startWorker();
    relay = relayNames(w.cfg.prefix).container;
    container = (await (await startCreateSite(w.client, w.cfg, { domains: ['mailwp.example'], title: 'Mail Choir' })).result()).container;
  });

  afterAll(async () => {
    const handle = await startDeleteSite(w.client, w.cfg, { site: SLUG, finalBackup: false }).catch(() => undefined);
    await handle?.result().catch(() => undefined);
    await w.stop();
  });

  it('the relay is on the site network as "mail", and nowhere published', async () => {
    const info = (await inspectContainer(docker(), relay))!;
    expect(info.NetworkSettings.Networks[siteNames(w.cfg.prefix, SLUG).network]?.Aliases).toContain(RELAY_ALIAS);
    expect(Object.values(info.NetworkSettings.Ports ?? {}).every((b) => !b)).toBe(true);
  });

  it("wp_mail from the site's PHP arrives in the relay's mailbox, sent as the site", async () => {
    const t = token();
    const sent = await wpPhp(w.cfg, container, `var_export(wp_mail("member@example.org", "hello ${t}", "a message from the site"));`);
    expect(sent.stdout).toBe('true');
    const msg = await waitUntil('the message in the relay mailbox', async () => (await mailboxFind(w.cfg, relay, t)) || undefined, { timeoutMs: 30_000, intervalMs: 500 });
    expect(msg).toMatch(/^X-Original-To: member@example\.org$/m);
    expect(msg).toMatch(/^Return-Path: <wordpress@mailwp\.example>$/m);
    expect(msg).toMatch(/^From: WordPress <wordpress@mailwp\.example>$/m);
    expect(msg).toContain('a message from the site');
  });

  it('a password reset asked for through Varnish (Apache PHP) is mailed', async () => {
    const status = await postForm(w.cfg, '/wp-login.php?action=lostpassword', 'mailwp.example', { user_login: 'admin', redirect_to: '', 'wp-submit': 'Get New Password' });
    expect(status).toBe(302);
    const msg = await waitUntil('the reset mail', async () => (await mailboxFind(w.cfg, relay, 'Password Reset')) || undefined, { timeoutMs: 30_000, intervalMs: 500 });
    expect(msg).toMatch(/^X-Original-To: admin@mailwp\.example$/m);
    expect(msg).toContain('[Mail Choir] Password Reset');
  });

  it("a cron event's mail (PHP CLI, as CiviMail sends) leaves through the relay too", async () => {
    await installTestPlugin(w.cfg, container);
    const t = token();
    await scheduleEvent(w.cfg, container, 'tutti_test_mail', t);
    const r = await tutti('cron', 'run', SLUG);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^RAN /);
    const msg = await waitUntil('the cron mail', async () => (await mailboxFind(w.cfg, relay, `cron mail ${t}`)) || undefined, { timeoutMs: 30_000, intervalMs: 500 });
    expect(msg).toContain(`sent by a cron event ${t}`);
  });

  it('with a smarthost configured, mail goes there; the credentials are a mounted file, not in the container config', async () => {
    const docker2 = docker();
    const smarthost = `${w.cfg.prefix}-smarthost`;
    const credentials = join(w.cfg.dataDir, 'smarthost-credentials-test');
    const password = `pw-${token()}-${token()}`;
    writeFileSync(credentials, `relayuser:${password}\n`, { mode: 0o600 });
    // A second relay in mailbox mode plays the provider's smarthost.
    const fake = await docker2.createContainer({
      name: smarthost,
      Image: w.cfg.mail.relayImage,
      Labels: platformLabels(w.cfg.prefix, 'relay', w.cfg.hostName),
      HostConfig: { NetworkMode: platformNames(w.cfg.prefix).platformNetwork },
    });
    const viaSmarthost: TuttiConfig = { ...w.cfg, mail: { ...w.cfg.mail, route: { kind: 'smarthost', host: smarthost, port: 25, tls: 'none', credentialsFile: credentials } } };
    try {
      await fake.start();
      await waitUntil('the fake smarthost', async () => ((await relayAnswers(docker2, smarthost)) ? true : undefined), { timeoutMs: 30_000 });
      expect(await ensureRelay(docker2, viaSmarthost)).toMatchObject({ outcome: 'recreated' });
      expect(await ensureRelay(docker2, viaSmarthost)).toMatchObject({ outcome: 'already-running' });
      expect((await exec(docker2, relay, ['postconf', '-h', 'relayhost', 'smtp_sasl_auth_enable'])).stdout.split('\n')).toEqual([`[${smarthost}]:25`, 'yes', '']);
      expect(JSON.stringify(await inspectContainer(docker2, relay))).not.toContain(password);

      const t = token();
      expect((await wpPhp(w.cfg, container, `var_export(wp_mail("member@example.org", "onward ${t}", "via the smarthost"));`)).stdout).toBe('true');
      const msg = await waitUntil('the message at the smarthost', async () => (await mailboxFind(w.cfg, smarthost, t)) || undefined, { timeoutMs: 30_000, intervalMs: 500 });
      expect(msg).toMatch(new RegExp(`^Received: from ${w.cfg.mail.hostname.replace(/\./g, '\\.')} `, 'm'));
      expect(await mailboxFind(w.cfg, relay, t)).toBe('');
    } finally {
      expect(await ensureRelay(docker2, w.cfg)).toMatchObject({ outcome: 'recreated' });
      await fake.remove({ force: true, v: true });
      rmSync(credentials, { force: true });
    }
    // Back on the mailbox route, and still on the site's network after being recreated twice.
    const t = token();
    await wpPhp(w.cfg, container, `wp_mail("member@example.org", "back ${t}", "x");`);
    await waitUntil('the message back in the relay mailbox', async () => (await mailboxFind(w.cfg, relay, t)) || undefined, { timeoutMs: 30_000, intervalMs: 500 });
  });
});
