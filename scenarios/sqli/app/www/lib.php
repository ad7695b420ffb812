<?php
// lib.php - the portal's shared code: settings, the connection to MariaDB
// (mysqli) and the page layout. Not reachable from outside.
declare(strict_types=1);

function setting(string $name, string $default = ''): string
{
    $v = getenv($name);
    return ($v === false || $v === '') ? $default : $v;
}

function db(): mysqli
{
    static $conn = null;
    if ($conn === null) {
        mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
        $conn = new mysqli(setting('DB_HOST', 'db'), setting('DB_USER'), setting('DB_PASSWORD'), setting('DB_NAME'), 3306);
        $conn->set_charset('utf8mb4');
    }
    return $conn;
}

function h(?string $s): string
{
    return htmlspecialchars((string) $s, ENT_QUOTES | ENT_HTML5, 'UTF-8');
}

function field(string $name): string
{
    $v = $_POST[$name] ?? '';
    return is_string($v) ? $v : '';
}

function page_start(string $title): void
{
    header('Content-Type: text/html; charset=utf-8');
    $portal = h(setting('PORTAL_NAME', 'Portal'));
    echo "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" . h($title)
        . " - $portal</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n"
        . "<header><a href=\"/\">$portal</a> <nav><a href=\"/login.php\">Sign in</a> | "
        . "<a href=\"/register.php\">Register</a></nav></header>\n<main>\n<h1>" . h($title) . "</h1>\n";
}

function page_end(): void
{
    echo "</main>\n<footer>" . h(setting('PORTAL_NAME', 'Portal')) . " - internal use only</footer>\n</body>\n</html>\n";
}
