<?php
/*
 * Tutti's WordPress configuration, one per container. Non-secret settings come from the
 * container environment; secrets only from files under /run/secrets/tutti, which the
 * control plane mounts read-only.
 */

function tutti_config_error(string $message): void
{
    if (PHP_SAPI === 'cli') {
        // tutti-wp turns this into its one-line error.
        throw new RuntimeException("wp-config: $message");
    }
    error_log('tutti wp-config: ' . $message);
    http_response_code(500);
    header('Content-Type: text/plain; charset=utf-8');
    echo "This site is misconfigured; the cause is in the container log.\n";
    exit(1);
}

function tutti_env(string $name): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        tutti_config_error("environment variable $name is not set");
    }
    return $value;
}

function tutti_secret_path(string $name): string
{
    $path = '/run/secrets/tutti/' . $name;
    if (!is_file($path) || !is_readable($path)) {
        tutti_config_error("$path is missing or not readable by this process; mount the site's secrets read-only at /run/secrets/tutti");
    }
    return $path;
}

$tutti_site_url = rtrim(tutti_env('TUTTI_SITE_URL'), '/');
if (!preg_match('~^https?://[^/?#\s]+$~', $tutti_site_url)) {
    tutti_config_error("TUTTI_SITE_URL \"$tutti_site_url\" is not a URL like http://a.example (scheme and host, no path)");
}

define('DB_NAME', tutti_env('TUTTI_DB_NAME'));
define('DB_USER', tutti_env('TUTTI_DB_USER'));
define('DB_PASSWORD', rtrim((string) file_get_contents(tutti_secret_path('db_password')), "\r\n"));
define('DB_HOST', tutti_env('TUTTI_DB_HOST'));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');

require tutti_secret_path('wp_salts.php');
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY',
          'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $tutti_key) {
    if (!defined($tutti_key) || constant($tutti_key) === '') {
        tutti_config_error("/run/secrets/tutti/wp_salts.php does not define $tutti_key");
    }
}

// An imported site may use another prefix; set in global scope for wp-settings.php.
$GLOBALS['table_prefix'] = getenv('TUTTI_DB_TABLE_PREFIX') ?: 'wp_';
if (!preg_match('/^[A-Za-z0-9_]+$/', $GLOBALS['table_prefix'])) {
    tutti_config_error('TUTTI_DB_TABLE_PREFIX may hold only letters, digits and _');
}

define('WP_HOME', $tutti_site_url);
define('WP_SITEURL', $tutti_site_url);
define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');
define('FS_METHOD', 'direct');
// The orchestrator runs cron (tutti-wp cron); updates come with new images.
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);

if (($_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '') === 'https') {
    $_SERVER['HTTPS'] = 'on';
}

if (!defined('ABSPATH')) {
    define('ABSPATH', '/usr/share/wordpress/');
}
require_once ABSPATH . 'wp-settings.php';
