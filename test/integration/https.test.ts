import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startRenewCertificates } from '../../src/client/certs';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { getCertificate } from '../../src/infra/certRegistry';
import { createDocker } from '../../src/infra/docker';
import { Varnish } from '../../src/infra/varnish';
import { httpGet } from '../../src/infra/wait';
import { platformNames } from '../../src/site/names';
import { pebbleRoot } from '../../src/platform/pebble';
import { curlHttps, httpGetWithHeaders, httpsGet, pebbleDns, startHttpsLoad } from '../helpers/https';
import { find, freePort, scrape } from '../helpers/prometheus';
import { testClient, testConfig } from '../helpers/platform';
import { rootDb } from '../helpers/sites';
import { WorkerProcess } from '../helpers/workerProcess';

const run = promisify(execFile);

describe('HTTPS for every site, against Pebble', () => {
  const cfg = testConfig();
  let metricsAddress = '';
  let client: Client;
  let worker: WorkerProcess;
  let ca: string;
  const caFile = join(cfg.dataDir, 'pebble-root-for-tests.pem');
  const cert = async (slug: string) => {
    const db = rootDb(cfg);
    try {
      return await getCertificate(db, slug);
    } finally {
      await db.end();
    }
  };

  beforeAll(async () => {
    metricsAddress = `127.0.0.1:${await freePort()}`;
    worker = new WorkerProcess(cfg, 'https-worker', { ...process.env, TUTTI_METRICS_ADDRESS: metricsAddress, TUTTI_METRICS_REFRESH_SECONDS: '5' });
    await worker.start();
    client = await testClient(cfg);
    ca = await pebbleRoot(cfg);
    writeFileSync(caFile, ca);
    await Promise.all([
      startCreateSite(client, cfg, { domains: ['secure.example'], title: 'Secure Choir' }).then((h) => h.result()),
      startCreateSite(client, cfg, { domains: ['strict.example'], title: 'Strict Choir', https: 'redirect', hsts: true }).then((h) => h.result()),
    ]);
  });
  afterAll(async () => {
    await pebbleDns(cfg, 'clear-a', 'strict.example').catch(() => undefined);
    for (const site of ['secure', 'strict']) await startDeleteSite(client, cfg, { site, finalBackup: false }).then((h) => h.result()).catch(() => undefined);
    await client?.connection.close();
    await worker?.stop();
  });

  it('a new site answers curl --cacert <pebble root> over HTTPS with 200 and its title; WordPress makes https:// links', async () => {
    const r = await curlHttps(cfg, caFile, 'secure.example');
    expect(r.status).toBe(200);
    expect(r.body).toContain('Secure Choir');
    expect(r.body).toContain('https://secure.example');
    // without the Pebble root the certificate is not trusted: it really is Pebble's, not a default
    await expect(run('curl', ['-sS', '-m', '10', '--resolve', `secure.example:${cfg.tls.httpsPort}:127.0.0.1`, `https://secure.example:${cfg.tls.httpsPort}/`])).rejects.toThrow(/certificate/i);
    const c = await cert('secure');
    expect(c?.domains).toEqual(['secure.example']);
    expect(Date.parse(c!.notAfter!) - Date.parse(c!.notBefore!)).toBeGreaterThan(89 * 86_400_000);
    // plain HTTP keeps answering for https: on
    expect((await httpGet(`http://127.0.0.1:${cfg.varnish.httpPort}/`, 'secure.example')).status).toBe(200);
  });

  it('redirect: HTTP answers 301 to HTTPS (a forged X-Forwarded-Proto changes nothing), HTTPS answers with HSTS', async () => {
    const plain = await httpGetWithHeaders(cfg.varnish.httpPort, '/some/page?x=1', { host: 'strict.example', 'x-forwarded-proto': 'https' });
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://strict.example:${cfg.tls.httpsPort}/some/page?x=1`);
    const secure = await httpsGet(cfg.tls.httpsPort, 'strict.example', ca);
    expect(secure.status).toBe(200);
    expect(secure.body).toContain('Strict Choir');
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000');
    expect((await httpsGet(cfg.tls.httpsPort, 'secure.example', ca)).headers['strict-transport-security']).toBeUndefined();
  });

  it('one domain made to fail: its renewal fails visibly (run, cert list, metric), the other site renews', async () => {
    const before = { secure: (await cert('secure'))!.serial, strict: (await cert('strict'))!.serial };
    await pebbleDns(cfg, 'add-a', 'strict.example');
    const handle = await startRenewCertificates(client, cfg, { force: true });
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure.type).toBe('CertificateRenewalFailed');
    expect(failure.message).toMatch(/1 of 2 certificate renewal\(s\) failed: strict: .*ACME validation of strict\.example failed: .*127\.0\.0\.2/);

    const [secure, strict] = [await cert('secure'), await cert('strict')];
    expect(secure!.serial).not.toBe(before.secure);
    expect(secure!.lastError).toBeNull();
    expect(strict!.serial).toBe(before.strict); // the live certificate stays
    expect(strict!.failedDomain).toBe('strict.example');
    expect((await httpsGet(cfg.tls.httpsPort, 'strict.example', ca)).status).toBe(200);

    const env = { ...process.env, TUTTI_METRICS_ADDRESS: 'off' };
    const list = await run(process.execPath, ['dist/src/cli/main.js', 'cert', 'list'], { env });
    expect(list.stdout).toMatch(/strict\s+redirect\s+\S+\s+\d+\s+FAILED strict\.example: ACME validation of strict\.example failed/);
    expect(list.stdout).toMatch(/secure\s+on\s+\S+\s+(89|90)\s+ok/);
    const show = await run(process.execPath, ['dist/src/cli/main.js', 'site', 'show', 'strict'], { env });
    expect(show.stdout).toMatch(/https\s+redirect \+ HSTS, certificate until .* days\); LAST ATTEMPT FAILED/);
    const report = await run(process.execPath, ['dist/src/cli/main.js', 'backup', 'report'], { env }).then(() => '', (e: { stdout: string }) => e.stdout);
    expect(report).toMatch(/certificates needing attention[^\n]*\n\s+strict: certificate renewal failed/);

    const samples = await waitForSample(metricsAddress, 'tutti_certificate_renewal_failing', { site: 'strict', domain: 'strict.example' }, 1);
    expect(find(samples, 'tutti_certificate_renewal_failing', { site: 'secure' })[0]?.value).toBe(0);
    expect(find(samples, 'tutti_certificate_expiry_days', { site: 'secure' })[0]?.value).toBeGreaterThan(89);

    // DNS fixed: the next renewal of that site succeeds and clears the failure
    await pebbleDns(cfg, 'clear-a', 'strict.example');
    const again = await (await startRenewCertificates(client, cfg, { sites: ['strict'], force: true })).result();
    expect(again.renewed.map((r) => r.site)).toEqual(['strict']);
    expect((await cert('strict'))!.lastError).toBeNull();
  });

  it('20 renewals under load (4 HTTPS clients, a handshake per request): 0 failed requests, 0 handshake errors, no VCL reload', async () => {
    const varnish = new Varnish(createDocker(cfg.docker), platformNames(cfg.prefix).varnishContainer);
    const vclBefore = await varnish.activeName();
    const started = Date.now();
    const load = startHttpsLoad(cfg.tls.httpsPort, 'secure.example', ca, 4);
    const serials = new Set<string>();
    const notAfters = new Set<string>();
    const renewals = (async () => {
      for (let i = 0; i < 20; i++) {
        const r = await (await startRenewCertificates(client, cfg, { sites: ['secure'], force: true })).result();
        expect(r.renewed.map((x) => x.site)).toEqual(['secure']);
        const c = (await cert('secure'))!;
        serials.add(c.serial!);
        notAfters.add(c.notAfter!);
      }
    })();
    const renewed = await renewals.then(() => undefined, (e: unknown) => e);
    const report = await load.stop();
    expect(renewed).toBeUndefined();
    expect(serials.size).toBe(20); // every renewal a new certificate
    expect(notAfters.size).toBeGreaterThan(1);
    expect(report.failures).toEqual({});
    expect(report.failed).toBe(0);
    expect(report.requests).toBeGreaterThan(100);
    // clients really saw the new certificates as they came: the last one is being served
    expect(report.serials.size).toBeGreaterThan(5);
    const last = (await httpsGet(cfg.tls.httpsPort, 'secure.example', ca)).serial;
    expect(last.toLowerCase()).toBe((await cert('secure'))!.serial!.toLowerCase());
    // the challenges were answered without touching VCL
    expect(await varnish.activeName()).toBe(vclBefore);
    process.stdout.write(`https load during 20 renewals: ${report.requests} requests, ${report.failed} failed, ${report.serials.size} certificates seen, ${Math.round((Date.now() - started) / 1000)} s\n`);
  });
});

async function waitForSample(address: string, name: string, labels: Record<string, string>, value: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { samples } = await scrape(address);
    if (find(samples, name, labels)[0]?.value === value) return samples;
    if (Date.now() > deadline) throw new Error(`${name}${JSON.stringify(labels)} did not become ${value} within 30 s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
