<?php
// lib.php - the shop's shared code: settings, the database layer and the
// page layout. Included by every page; not reachable from outside.
//
// How PHP talks to MariaDB is drawn per run and comes from the environment:
//   DB_DRIVER      mysqli | pdo     (both over mysqlnd)
//   DB_STATEMENTS  text | prepared  text: values are escaped and written
//                  into the statement (COM_QUERY on the wire; PDO's
//                  emulated prepares); prepared: server-side prepared
//                  statements (COM_STMT_PREPARE / COM_STMT_EXECUTE)
//   DB_PERSISTENT  no | yes         a new connection per request, or
//                  Apache's workers keep theirs open between requests
// Every statement is written with `?` placeholders; values never reach
// SQL unescaped.
declare(strict_types=1);

function setting(string $name, string $default = ''): string
{
    $v = getenv($name);
    return ($v === false || $v === '') ? $default : $v;
}

final class Db
{
    private static ?Db $instance = null;
    private $conn;
    private string $driver;
    private bool $prepared;
    public int $count = 0; // statements sent in this request

    public static function get(): Db
    {
        return self::$instance ??= new Db();
    }

    private function __construct()
    {
        $this->driver = setting('DB_DRIVER', 'mysqli');
        $this->prepared = setting('DB_STATEMENTS', 'text') === 'prepared';
        $persistent = setting('DB_PERSISTENT', 'no') === 'yes';
        $host = setting('DB_HOST', 'db');
        $name = setting('DB_NAME');
        $user = setting('DB_USER');
        $pass = setting('DB_PASSWORD');
        if ($this->driver === 'pdo') {
            $this->conn = new PDO("mysql:host=$host;port=3306;dbname=$name;charset=utf8mb4", $user, $pass, [
                PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
                PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
                PDO::ATTR_EMULATE_PREPARES => !$this->prepared,
                PDO::ATTR_PERSISTENT => $persistent,
            ]);
        } else {
            mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
            $this->conn = new mysqli(($persistent ? 'p:' : '') . $host, $user, $pass, $name, 3306);
            $this->conn->set_charset('utf8mb4');
        }
    }

    // Rows of a SELECT, as associative arrays.
    public function rows(string $sql, array $params = []): array
    {
        return $this->run($sql, $params, true);
    }

    public function row(string $sql, array $params = []): ?array
    {
        $r = $this->rows($sql, $params);
        return $r[0] ?? null;
    }

    // A statement without a result: returns the rows it changed.
    public function exec(string $sql, array $params = []): int
    {
        return $this->run($sql, $params, false);
    }

    public function lastId(): int
    {
        return (int) ($this->driver === 'pdo' ? $this->conn->lastInsertId() : $this->conn->insert_id);
    }

    public function begin(): void
    {
        $this->count++;
        $this->driver === 'pdo' ? $this->conn->beginTransaction() : $this->conn->begin_transaction();
    }

    public function commit(): void
    {
        $this->count++;
        $this->conn->commit();
    }

    public function rollback(): void
    {
        $this->count++;
        $this->conn->rollback();
    }

    private function run(string $sql, array $params, bool $select)
    {
        $this->count++;
        if ($this->driver === 'pdo') {
            $st = $this->conn->prepare($sql);
            foreach (array_values($params) as $i => $v) {
                $st->bindValue($i + 1, $v, is_int($v) ? PDO::PARAM_INT : PDO::PARAM_STR);
            }
            $st->execute();
            return $select ? $st->fetchAll() : $st->rowCount();
        }
        if (!$this->prepared) {
            $res = $this->conn->query($this->inline($sql, $params));
            return $select ? $res->fetch_all(MYSQLI_ASSOC) : $this->conn->affected_rows;
        }
        $st = $this->conn->prepare($sql);
        if ($params) {
            $types = '';
            foreach ($params as $v) {
                $types .= is_int($v) ? 'i' : (is_float($v) ? 'd' : 's');
            }
            $st->bind_param($types, ...array_values($params));
        }
        $st->execute();
        $out = $select ? $st->get_result()->fetch_all(MYSQLI_ASSOC) : $st->affected_rows;
        $st->close();
        return $out;
    }

    // mysqli text mode: the placeholders replaced by escaped literals.
    private function inline(string $sql, array $params): string
    {
        $params = array_values($params);
        $i = 0;
        return preg_replace_callback('/\?/', function () use (&$i, $params) {
            $v = $params[$i++];
            if (is_int($v) || is_float($v)) {
                return (string) $v;
            }
            return "'" . $this->conn->real_escape_string((string) $v) . "'";
        }, $sql);
    }
}

function db(): Db
{
    return Db::get();
}

function h(?string $s): string
{
    return htmlspecialchars((string) $s, ENT_QUOTES | ENT_HTML5, 'UTF-8');
}

function money($v): string
{
    return number_format((float) $v, 2, '.', '');
}

function int_param(array $from, string $name, int $default = 0): int
{
    $v = $from[$name] ?? '';
    return (is_string($v) && preg_match('/^[0-9]{1,9}$/', $v)) ? (int) $v : $default;
}

function str_param(array $from, string $name): string
{
    $v = $from[$name] ?? '';
    return is_string($v) ? trim($v) : '';
}

function start_session(): void
{
    if (session_status() !== PHP_SESSION_ACTIVE) {
        session_name('SHOPSESSID');
        session_start();
    }
}

function current_user(): ?array
{
    start_session();
    if (empty($_SESSION['uid'])) {
        return null;
    }
    return db()->row('SELECT id, username, email, full_name FROM users WHERE id = ?', [(int) $_SESSION['uid']]);
}

function redirect(string $to): void
{
    header('Location: ' . $to, true, 303);
    exit;
}

function page_start(string $title): void
{
    if (isset($_COOKIE['SHOPSESSID'])) {
        start_session(); // the nav shows who is signed in
    }
    $shop = h(setting('SHOP_NAME', 'Shop'));
    $cats = db()->rows('SELECT id, name FROM categories ORDER BY name');
    $user = (session_status() === PHP_SESSION_ACTIVE && !empty($_SESSION['uid'])) ? ($_SESSION['name'] ?? '') : '';
    header('Content-Type: text/html; charset=utf-8');
    echo "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    echo '<title>' . h($title) . " - $shop</title>\n";
    echo "<link rel=\"stylesheet\" href=\"/style.css\">\n<link rel=\"icon\" href=\"/logo.svg\" type=\"image/svg+xml\">\n</head>\n<body>\n";
    echo "<header><a href=\"/\"><img src=\"/logo.svg\" alt=\"\" width=\"32\" height=\"32\"> $shop</a>\n";
    echo "<form class=\"search\" action=\"/search.php\" method=\"get\"><input name=\"q\" placeholder=\"Search\"> <button>Search</button></form>\n";
    echo $user !== ''
        ? '<nav class="account">Signed in as <a href="/profile.php">' . h($user) . "</a> | <a href=\"/logout.php\">Sign out</a></nav>\n"
        : "<nav class=\"account\"><a href=\"/login.php\">Sign in</a> | <a href=\"/register.php\">Register</a></nav>\n";
    echo "</header>\n<nav class=\"categories\">\n";
    foreach ($cats as $c) {
        echo '<a class="category" href="/category.php?id=' . (int) $c['id'] . '">' . h($c['name']) . "</a>\n";
    }
    echo "</nav>\n<main>\n<h1>" . h($title) . "</h1>\n";
}

function page_end(): void
{
    echo "</main>\n<footer>&copy; " . h(setting('SHOP_NAME', 'Shop')) . ' - page built with '
        . db()->count . " database statements</footer>\n</body>\n</html>\n";
}

function product_list(array $products): void
{
    echo "<ul class=\"products\">\n";
    foreach ($products as $p) {
        echo '<li><a class="product" href="/product.php?id=' . (int) $p['id'] . '">' . h($p['name'])
            . '</a> <span class="price">' . money($p['price']) . "</span></li>\n";
    }
    echo "</ul>\n";
}

function fail_page(int $code, string $message): void
{
    http_response_code($code);
    page_start($message);
    echo '<p class="error">' . h($message) . "</p>\n";
    page_end();
    exit;
}
