<?php
/*
 * Rewrites the civicrm.settings.php that `cv core:install` wrote so that it holds no secret:
 * both DSNs, the site key and the credential and signing keys are read from the files mounted
 * at /run/secrets/tutti, and the base URL from TUTTI_SITE_URL, on every request. Safe to run
 * again on a file it already rewrote.
 *
 *   php civicrm-settings.php /var/www/tutti-data/civicrm.settings.php
 */

const TUTTI_HELPERS = <<<'PHP'
// Tutti: secrets come from the files mounted at /run/secrets/tutti, names from the environment.
if (!function_exists('tutti_civicrm_secret')) {
  function tutti_civicrm_secret(string $name): string {
    $file = '/run/secrets/tutti/' . $name;
    $value = is_readable($file) ? rtrim((string) file_get_contents($file), "\r\n") : '';
    if ($value === '') {
      throw new \RuntimeException("tutti: secret file $file is missing, unreadable or empty");
    }
    return $value;
  }
  function tutti_civicrm_dsn(): string {
    return 'mysql://' . rawurlencode((string) getenv('TUTTI_DB_USER')) . ':' . rawurlencode(tutti_civicrm_secret('db_password'))
      . '@' . getenv('TUTTI_DB_HOST') . ':' . (getenv('TUTTI_DB_PORT') ?: '3306') . '/' . getenv('TUTTI_DB_NAME') . '?new_link=true';
  }
}
PHP;

// constant => the expression that replaces its literal value
const TUTTI_REPLACEMENTS = [
  'CIVICRM_UF_DSN' => 'tutti_civicrm_dsn()',
  'CIVICRM_DSN' => 'tutti_civicrm_dsn()',
  'CIVICRM_SITE_KEY' => "tutti_civicrm_secret('civicrm_site_key')",
  '_CIVICRM_CRED_KEYS' => "tutti_civicrm_secret('civicrm_cred_keys')",
  '_CIVICRM_SIGN_KEYS' => "tutti_civicrm_secret('civicrm_sign_keys')",
  'CIVICRM_UF_BASEURL' => "rtrim((string) getenv('TUTTI_SITE_URL'), '/') . '/'",
];

function fail(string $message): never {
  fwrite(STDERR, "tutti-drupal: $message\n");
  exit(1);
}

$path = $argv[1] ?? fail('usage: civicrm-settings.php FILE');
$text = @file_get_contents($path);
if ($text === false) fail("cannot read $path");

if (!str_contains($text, 'function tutti_civicrm_secret')) {
  $text = preg_replace('/^<\?php\s*\n/', "<?php\n" . TUTTI_HELPERS . "\n", $text, 1, $added);
  if ($added !== 1) fail("$path does not start with <?php; is it a civicrm.settings.php?");
}
foreach (TUTTI_REPLACEMENTS as $name => $expr) {
  $literal = "/define\\(\\s*'" . preg_quote($name, '/') . "'\\s*,\\s*'(?:[^'\\\\]|\\\\.)*'\\s*\\)/";
  $text = preg_replace_callback($literal, fn () => "define('$name', $expr)", $text, -1, $count);
  if ($count === 0 && !str_contains($text, "define('$name', $expr)")) {
    fail("$path has no define('$name', ...) to rewrite; its layout is not the one cv core:install writes");
  }
}

$password = rtrim((string) @file_get_contents('/run/secrets/tutti/db_password'), "\r\n");
foreach ([$password, rawurlencode($password)] as $secret) {
  if ($secret !== '' && str_contains($text, $secret)) fail("$path still holds the database password after the rewrite");
}

$tmp = "$path.tutti-tmp";
if (file_put_contents($tmp, $text) === false || !chmod($tmp, 0444) || !rename($tmp, $path)) {
  @unlink($tmp);
  fail("cannot write $path");
}
echo "rewrote $path\n";
