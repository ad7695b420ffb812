<?php
// gen-data.php - the portal's database, as SQL on stdout.
//
// Creates the database DB_NAME, the application's account DB_USER /
// DB_PASSWORD (allowed to read and write the portal's tables, nothing
// else) and two tables: users (the administrator ADMIN_USER /
// ADMIN_PASSWORD first, then N_USERS users drawn from DATA_SEED with
// PHP's Mt19937, so the same seed gives the same rows) and messages
// (a few per user). Passwords are stored as PASSWORD_STORAGE says: in
// clear (plain) or as unsalted MD5 hex (md5), as careless applications
// store them. Every value is quoted by this script; the names and counts
// are checked.
declare(strict_types=1);

function env(string $name): string
{
    $v = getenv($name);
    if ($v === false || $v === '') {
        fwrite(STDERR, "gen-data: $name must be set\n");
        exit(2);
    }
    return $v;
}

function ident(string $name, string $value): string
{
    if (!preg_match('/^[A-Za-z0-9_]{1,64}$/', $value)) {
        fwrite(STDERR, "gen-data: $name '$value' is not a plain identifier\n");
        exit(2);
    }
    return $value;
}

function count_of(string $name, int $min, int $max): int
{
    $v = env($name);
    if (!ctype_digit($v) || (int) $v < $min || (int) $v > $max) {
        fwrite(STDERR, "gen-data: $name must be a number in $min..$max, not '$v'\n");
        exit(2);
    }
    return (int) $v;
}

function lit(string $s): string
{
    return "'" . str_replace(["\\", "'"], ["\\\\", "\\'"], $s) . "'";
}

// INSERTs of 20 rows each: MariaDB reads an init file's statements into a
// buffer of 60000 bytes, so no statement may be longer.
function inserts(string $head, array $rows): array
{
    return array_map(fn ($chunk) => "$head VALUES " . implode(",\n  ", $chunk) . ';', array_chunk($rows, 20));
}

$db = ident('DB_NAME', env('DB_NAME'));
$user = ident('DB_USER', env('DB_USER'));
$password = env('DB_PASSWORD');
$admin = ident('ADMIN_USER', env('ADMIN_USER'));
$adminPassword = env('ADMIN_PASSWORD');
$storage = env('PASSWORD_STORAGE');
if (!in_array($storage, ['plain', 'md5'], true)) {
    fwrite(STDERR, "gen-data: PASSWORD_STORAGE must be plain or md5\n");
    exit(2);
}
$seed = count_of('DATA_SEED', 0, PHP_INT_MAX);
$nUsers = count_of('N_USERS', 0, 10000);

mt_srand($seed, MT_RAND_MT19937);
function pick(array $a)
{
    return $a[mt_rand(0, count($a) - 1)];
}
function chars(string $alphabet, int $n): string
{
    $s = '';
    for ($i = 0; $i < $n; $i++) {
        $s .= $alphabet[mt_rand(0, strlen($alphabet) - 1)];
    }
    return $s;
}
function when(): string
{
    return gmdate('Y-m-d H:i:s', 1672531200 + mt_rand(0, 2 * 365 * 86400));
}
function stored(string $pw, string $storage): string
{
    return $storage === 'md5' ? md5($pw) : $pw;
}

const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan',
    'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor',
    'walter', 'yusuf', 'zoe', 'amir', 'bianca', 'chen', 'dmitri', 'elena', 'farah', 'goran'];
const LAST = ['smith', 'jones', 'garcia', 'muller', 'rossi', 'kowalski', 'novak', 'silva',
    'tanaka', 'kim', 'nguyen', 'okafor', 'larsen', 'dubois', 'ivanova', 'haddad', 'brown',
    'costa', 'fischer', 'moreau', 'patel', 'singh', 'walsh', 'young'];
const DOMAINS = ['example.org', 'example.com', 'example.net', 'corp.example', 'mail.example'];
const SUBJECTS = ['Quarterly report', 'Password reset', 'Meeting notes', 'Invoice 2291',
    'Holiday plans', 'Server maintenance', 'Re: your request', 'Welcome aboard'];

$out = [];
$out[] = "CREATE DATABASE `$db` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;";
$out[] = "CREATE USER " . lit($user) . "@'%' IDENTIFIED BY " . lit($password) . ";";
$out[] = "GRANT SELECT, INSERT, UPDATE, DELETE ON `$db`.* TO " . lit($user) . "@'%';";
$out[] = "USE `$db`;";
$out[] = <<<SQL
CREATE TABLE users (
  id INT AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(64) NOT NULL UNIQUE,
  password VARCHAR(64) NOT NULL,
  email VARCHAR(128) NOT NULL,
  role VARCHAR(16) NOT NULL,
  created_at DATETIME NOT NULL
) ENGINE=InnoDB;
CREATE TABLE messages (
  id INT AUTO_INCREMENT PRIMARY KEY,
  user_id INT NOT NULL,
  subject VARCHAR(128) NOT NULL,
  body TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  INDEX (user_id)
) ENGINE=InnoDB;
SQL;

$rows = ['(' . implode(', ', [lit($admin), lit(stored($adminPassword, $storage)),
    lit($admin . '@corp.example'), "'admin'", lit(when())]) . ')'];
$taken = [$admin => true];
while (count($rows) < $nUsers + 1) {
    $first = pick(FIRST);
    $last = pick(LAST);
    $name = $first . pick(['.', '_', '']) . $last . (mt_rand(0, 1) ? (string) mt_rand(1, 99) : '');
    if (isset($taken[$name])) {
        continue;
    }
    $taken[$name] = true;
    $pw = chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', mt_rand(8, 14));
    $rows[] = '(' . implode(', ', [lit($name), lit(stored($pw, $storage)), lit($name . '@' . pick(DOMAINS)),
        "'user'", lit(when())]) . ')';
}
array_push($out, ...inserts('INSERT INTO users (username, password, email, role, created_at)', $rows));
$rows = [];
for ($u = 1; $u <= $nUsers + 1; $u++) {
    for ($m = mt_rand(0, 3); $m > 0; $m--) {
        $rows[] = '(' . implode(', ', [(string) $u, lit(pick(SUBJECTS)), lit(chars('abcdefghij klmnopqrstuvwxyz', mt_rand(20, 120))), lit(when())]) . ')';
    }
}
if ($rows) {
    array_push($out, ...inserts('INSERT INTO messages (user_id, subject, body, created_at)', $rows));
}
echo implode("\n", $out), "\n";
fwrite(STDERR, "gen-data: database $db: administrator $admin and $nUsers users, passwords stored $storage (seed $seed)\n");
