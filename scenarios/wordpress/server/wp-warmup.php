<?php
/*
 * wp-warmup.php - once Apache listens, asks the blog for a few pages over
 * the loopback interface (not captured), so that PHP's opcode cache holds
 * WordPress's code and the theme's generated styles are stored before the
 * first client arrives: on a busy host the first page of a cold WordPress
 * takes many seconds. Then writes /run/detgen-ready, which the service's
 * `ready` check waits for.
 */
$host = getenv('SITE_HOST');
$ctx = stream_context_create(['http' => [
    'header' => "Host: $host\r\nUser-Agent: detgen-warmup\r\n",
    'ignore_errors' => true,
    'follow_location' => 0,
    'timeout' => 120,
]]);
for ($i = 0; $i < 600 && !@fsockopen('127.0.0.1', 80); $i++) {
    usleep(100000);
}
foreach (['/', '/?s=warm', '/feed/', '/wp-login.php', '/xmlrpc.php', '/wp-json/', '/?p=1'] as $path) {
    $t = microtime(true);
    $body = @file_get_contents("http://127.0.0.1$path", false, $ctx);
    $status = isset($http_response_header[0]) ? $http_response_header[0] : 'no answer';
    printf("wp-warmup: %s %s (%d bytes, %.1f s)\n", $path, $status, strlen((string) $body), microtime(true) - $t);
}
touch('/run/detgen-ready');
