import { startBackupSite, startRestoreSite, startVerifyBackup } from '../../src/client/backups';
import { startDeleteSite } from '../../src/client/sites';
import { OBJECT, objectKey } from '../../src/backup/layout';
import type { Manifest } from '../../src/backup/manifest';
import { siteNames } from '../../src/site/names';
import type { BackupResult } from '../../workflows/backupSite';
import type { RestoreResult } from '../../workflows/restoreSite';
import { decompress, inWeb, liveDatabase, page, sql, testBucket, tutti } from '../helpers/backupHelpers';
import { cv, dataVolumeTar, drupalStatus, drush, secretsIn, siteSecrets } from '../helpers/drupal';
import { inventory, NOTHING } from '../helpers/sites';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { createDocker } from '../../src/infra/docker';

const SLUG = 'civi';
const DOMAIN = 'civi.example';
const TITLE = "Friends of the Harbour's Choir";

interface Contact {
  id: number;
  first_name: string;
  last_name: string;
}

const active = (w: RunningWorker) => inventory(w.cfg, SLUG).then((i) => i.containers[0]!);

// One Drupal + CiviCRM site for the whole file: its install is the slow part (drush site:install, cv core:install).
describe('a Drupal + CiviCRM site', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
  });
  afterAll(async () => {
    await (await startDeleteSite(w.client, w.cfg, { site: SLUG, finalBackup: false })).result().catch(() => undefined);
    await testBucket(w.cfg).removeFolder(`${w.cfg.s3.prefix}/${SLUG}/`, OBJECT.manifest);
    await w.stop();
  });

  it('bin/tutti site create --platform drupal-civicrm --wait: answers through Varnish with its title; drush and cv work; no secret in settings, volume or container', async () => {
    const r = await tutti(['site', 'create', DOMAIN, '--platform', 'drupal-civicrm', '--title', TITLE, '--wait']);
    expect(r).toMatchObject({ status: 0 });
    expect(r.stderr).toContain('civi: installing drupal-civicrm');
    const home = await page(w.cfg, DOMAIN);
    expect(home.status).toBe(200);
    expect(home.body).toContain('Friends of the Harbour&#039;s Choir');
    expect((await page(w.cfg, DOMAIN, '/user/login')).status).toBe(200);

    const container = await active(w);
    expect(container).toBe(siteNames(w.cfg.prefix, SLUG).webContainer('blue'));
    expect(await drupalStatus(w.cfg, container)).toMatchObject({ drupal_version: '10.3.7', bootstrap: 'Successful', php_version: expect.stringMatching(/^8\.2\./), civicrm_version: expect.stringMatching(/^6\.5/) });
    const contacts = await cv<Contact[]>(w.cfg, container, 'api4', 'Contact.get', '+s', 'id,display_name', '+l', '5');
    expect(contacts.length).toBeGreaterThan(0); // the default organisation of the domain
    // the stored admin password is the one that logs in (it never went through argv)
    const secrets = siteSecrets(w.cfg, SLUG);
    expect(Object.keys(secrets).sort()).toEqual(['admin_password', 'civicrm_cred_keys', 'civicrm_sign_keys', 'civicrm_site_key', 'db_password', 'drupal_hash_salt']);
    const check = await drush(w.cfg, container, 'php:eval', "echo \\Drupal::service('user.auth')->authenticate('admin', rtrim(file_get_contents('/run/secrets/tutti/admin_password'))) ? 'ok' : 'no';");
    expect(check.trim()).toBe('ok');

    expect(secretsIn(await dataVolumeTar(w.cfg, container), secrets)).toEqual([]);
    const settings = await inWeb(w.cfg, SLUG, ['cat', '/var/www/drupal/web/sites/default/settings.php', '/var/www/tutti-data/civicrm.settings.php']);
    expect(settings).toContain('tutti_civicrm_dsn()');
    expect(secretsIn(settings, secrets)).toEqual([]);
    expect(secretsIn(JSON.stringify(await createDocker(w.cfg.docker).getContainer(container).inspect()), secrets)).toEqual([]);
  });

  it('a contact, CiviCRM triggers, public and private files survive backup, change and restore; the drill passes', async () => {
    const before = await active(w);
    const [created] = await cv<Contact[]>(w.cfg, before, 'api4', 'Contact.create', '+v', 'contact_type=Individual', '+v', 'first_name=Ada', '+v', 'last_name=Rondeau');
    await inWeb(w.cfg, SLUG, ['sh', '-c', 'echo "the score of 1723" > /var/www/tutti-data/files/score.txt && echo "minutes of the board" > /var/www/tutti-data/private/minutes.txt'], 'www-data');
    expect((await page(w.cfg, DOMAIN, '/sites/default/files/score.txt')).body).toContain('the score of 1723');
    const db1 = await liveDatabase(w.cfg, SLUG);
    const triggers = Number((await sql(w.cfg, db1, 'SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [db1]))[0]!.n);
    expect(triggers).toBeGreaterThan(0); // CiviCRM keeps modified dates and the like by trigger

    const backup = (await (await startBackupSite(w.client, w.cfg, { site: SLUG })).result()) as BackupResult;

    await cv(w.cfg, before, 'api4', 'Contact.update', '+w', `id=${created!.id}`, '+v', 'last_name=Vandalised');
    await inWeb(w.cfg, SLUG, ['rm', '/var/www/tutti-data/files/score.txt', '/var/www/tutti-data/private/minutes.txt'], 'www-data');

    const restored = (await (await startRestoreSite(w.client, w.cfg, { site: SLUG, backupId: backup.backupId, safetyBackup: false })).result()) as RestoreResult;
    expect(restored).toMatchObject({ mode: 'in-place', generation: 2 });
    const after = await active(w);
    expect(after).toBe(restored.container);
    const [back] = await cv<Contact[]>(w.cfg, after, 'api4', 'Contact.get', '+w', `id=${created!.id}`, '+s', 'first_name,last_name');
    expect(back).toMatchObject({ first_name: 'Ada', last_name: 'Rondeau' });
    const db2 = await liveDatabase(w.cfg, SLUG);
    expect(Number((await sql(w.cfg, db2, 'SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [db2]))[0]!.n)).toBe(triggers);
    expect(await inWeb(w.cfg, SLUG, ['cat', '/var/www/tutti-data/private/minutes.txt'])).toContain('minutes of the board');
    expect((await page(w.cfg, DOMAIN, '/sites/default/files/score.txt')).body).toContain('the score of 1723');
    expect((await page(w.cfg, DOMAIN)).body).toContain('Friends of the Harbour&#039;s Choir');
    expect((await drupalStatus(w.cfg, after)).bootstrap).toBe('Successful');

    const drill = await (await startVerifyBackup(w.client, w.cfg, { site: SLUG, backupId: backup.backupId })).result();
    expect(drill).toMatchObject({ ok: true });
    expect(JSON.stringify(drill)).toContain('cv api4 Contact.get');
    // the backup objects (SQL dump, files archive, manifest) hold none of the site's secrets
    const bucket = testBucket(w.cfg);
    const secrets = siteSecrets(w.cfg, SLUG);
    const manifest = JSON.parse((await bucket.readText(objectKey(w.cfg.s3.prefix, SLUG, backup.backupId, OBJECT.manifest)))!) as Manifest;
    for (const { name, compression } of [manifest.objects.db, manifest.objects.files, { name: OBJECT.manifest, compression: null }]) {
      const o = await bucket.read(objectKey(w.cfg.s3.prefix, SLUG, backup.backupId, name));
      const chunks: Buffer[] = [];
      for await (const c of o!.body) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks);
      const text = (compression ? decompress(raw, compression) : raw).toString('latin1');
      expect(text.length).toBeGreaterThan(100);
      expect({ name, leaked: secretsIn(text, secrets) }).toEqual({ name, leaked: [] });
    }
  });

  it('deleteSite removes every resource of the site', async () => {
    await (await startDeleteSite(w.client, w.cfg, { site: SLUG, finalBackup: false })).result();
    expect(await inventory(w.cfg, SLUG)).toEqual(NOTHING);
  });
});
