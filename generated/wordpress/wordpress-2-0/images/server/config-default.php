<?php
/*
 * Settings of the `wordpress` scenario's blog. Debian's wp-config.php
 * (/usr/share/wordpress/wp-config.php) loads this file for every host
 * name, then sets ABSPATH and WP_CONTENT_DIR (/var/lib/wordpress/wp-content)
 * and starts WordPress. The values come from the container's environment
 * (drawn by detgen; Apache passes them on with PassEnv); the keys and salts
 * are made at every start (wp-server.sh).
 */
define('DB_NAME', getenv('DB_NAME'));
define('DB_USER', getenv('DB_USER'));
define('DB_PASSWORD', getenv('DB_PASSWORD'));
define('DB_HOST', getenv('DB_HOST'));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = getenv('TABLE_PREFIX') ?: 'wp_';

/* The blog answers on its host name over HTTP and HTTPS alike: its links
 * take the scheme of the request. */
$detgen_scheme = (!empty($_SERVER['HTTPS']) && $_SERVER['HTTPS'] !== 'off') ? 'https' : 'http';
define('WP_HOME', $detgen_scheme . '://' . getenv('SITE_HOST'));
define('WP_SITEURL', $detgen_scheme . '://' . getenv('SITE_HOST'));

/* The scenario network has no way out: no update checks, no requests to
 * wordpress.org (refused at once instead of waiting for DNS), and no
 * wp-cron requests from the server to itself during page views. */
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);
define('WP_ENVIRONMENT_TYPE', 'production');

require '/etc/wordpress/detgen-salts.php';
