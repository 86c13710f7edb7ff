
/*
 * Tutti: appended to Drupal's default.settings.php when the image is built. Everything that
 * differs per site comes from the container: names from its environment, secrets from the
 * files mounted at /run/secrets/tutti (read on every request, so a rotation needs no restart).
 * Nothing secret is ever written into this file or into the site's volume.
 */
$tutti_secret = static function (string $name): string {
  $file = '/run/secrets/tutti/' . $name;
  $value = is_readable($file) ? rtrim((string) file_get_contents($file), "\r\n") : '';
  if ($value === '') {
    throw new \RuntimeException("tutti: secret file $file is missing, unreadable or empty");
  }
  return $value;
};
$databases['default']['default'] = [
  'driver' => 'mysql',
  'database' => getenv('TUTTI_DB_NAME'),
  'username' => getenv('TUTTI_DB_USER'),
  'password' => $tutti_secret('db_password'),
  'host' => getenv('TUTTI_DB_HOST'),
  'port' => getenv('TUTTI_DB_PORT') ?: '3306',
  'prefix' => '',
  'namespace' => 'Drupal\\mysql\\Driver\\Database\\mysql',
  'autoload' => 'core/modules/mysql/src/Driver/Database/mysql/',
  'isolation_level' => 'READ COMMITTED',
];
$settings['hash_salt'] = $tutti_secret('drupal_hash_salt');
// All three exist before `drush site:install` (the entrypoint makes them), so the installer
// never rewrites this file (it would append $databases with the plaintext password).
$settings['config_sync_directory'] = '/var/www/tutti-data/config/sync';
$settings['file_private_path'] = '/var/www/tutti-data/private';
$settings['file_temp_path'] = '/tmp';
// No outbound calls from a hosted site's cron: security advisories are the operator's job.
$config['system.advisories']['enabled'] = FALSE;
$settings['trusted_host_patterns'] = ['^localhost$', '^127\.0\.0\.1$'];
foreach (preg_split('/[\s,]+/', (string) getenv('TUTTI_SITE_DOMAINS'), -1, PREG_SPLIT_NO_EMPTY) as $tutti_domain) {
  $settings['trusted_host_patterns'][] = '^' . preg_quote($tutti_domain, '/') . '$';
}
unset($tutti_domain, $tutti_secret);
