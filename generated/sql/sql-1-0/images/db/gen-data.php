<?php
// gen-data.php - the shop's database, as SQL on stdout.
//
// Creates the database DB_NAME, the application's account DB_USER /
// DB_PASSWORD (allowed to read and write the shop's tables, nothing else)
// and the tables categories, users, products, reviews and orders, filled
// with N_CATEGORIES categories, N_USERS customers, N_PRODUCTS products and
// N_REVIEWS reviews. Every row is drawn from DATA_SEED (PHP's Mt19937, so
// the same seed gives the same rows): product names are "<adjective>
// <material> <noun>" from the word lists below (the `search` subscenario
// draws its search terms from the same lists), customers get a name,
// e-mail address and a random password stored as sha256(salt . password).
// All values are quoted by this script; nothing comes from outside but the
// numbers, the database name and the account, which detgen draws from
// safe alphabets (and which are checked here anyway).
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

// A SQL string literal (the values are ASCII; quote and backslash escaped).
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
$seed = count_of('DATA_SEED', 0, PHP_INT_MAX);
$nCategories = count_of('N_CATEGORIES', 1, 12);
$nUsers = count_of('N_USERS', 1, 10000);
$nProducts = count_of('N_PRODUCTS', 1, 3375);
$nReviews = count_of('N_REVIEWS', 0, 100000);

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
// A timestamp in 2023-2024, drawn.
function when(): string
{
    return gmdate('Y-m-d H:i:s', 1672531200 + mt_rand(0, 2 * 365 * 86400));
}

// The vocabulary of product names (and of the searches).
const ADJECTIVES = ['rustic', 'modern', 'vintage', 'compact', 'deluxe', 'classic', 'sturdy',
    'elegant', 'portable', 'handmade', 'smart', 'ergonomic', 'sleek', 'cozy', 'premium'];
const MATERIALS = ['oak', 'steel', 'cotton', 'leather', 'bamboo', 'glass', 'wool', 'copper',
    'marble', 'linen', 'ceramic', 'walnut', 'aluminium', 'silk', 'granite'];
const NOUNS = ['chair', 'lamp', 'table', 'backpack', 'mug', 'kettle', 'blanket', 'clock',
    'shelf', 'desk', 'jacket', 'bottle', 'vase', 'speaker', 'wallet'];
const CATEGORIES = ['Furniture', 'Kitchen', 'Outdoor', 'Office', 'Clothing', 'Electronics',
    'Garden', 'Toys', 'Books', 'Sports', 'Bathroom', 'Travel'];
const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan',
    'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor',
    'walter', 'yusuf', 'zoe', 'amir', 'bianca', 'chen', 'dmitri', 'elena', 'farah', 'goran'];
const LAST = ['smith', 'jones', 'garcia', 'muller', 'rossi', 'kowalski', 'novak', 'silva',
    'tanaka', 'kim', 'nguyen', 'okafor', 'larsen', 'dubois', 'ivanova', 'haddad', 'brown',
    'costa', 'fischer', 'moreau', 'patel', 'singh', 'walsh', 'young'];
const DOMAINS = ['example.org', 'example.com', 'example.net', 'mail.example', 'post.example'];
const PRAISE = ['Works as described.', 'Great value for the price.', 'Arrived quickly.',
    'Would buy again.', 'A bit smaller than expected.', 'The finish is lovely.',
    'Not what I hoped for.', 'Solid build quality.', 'My family loves it.',
    'Returned it after a week.', 'Exactly like the photos.', 'Five stars from me.'];
const FILLER = ['Built to last for years.', 'Ships in recyclable packaging.',
    'Designed in a small workshop.', 'Easy to clean.', 'A customer favourite.',
    'Limited stock available.', 'Comes with a two-year warranty.', 'Light and easy to carry.'];

$out = [];
$out[] = "-- the shop's database, drawn from seed $seed";
$out[] = "CREATE DATABASE `$db` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;";
$out[] = "CREATE USER " . lit($user) . "@'%' IDENTIFIED BY " . lit($password) . ";";
$out[] = "GRANT SELECT, INSERT, UPDATE, DELETE ON `$db`.* TO " . lit($user) . "@'%';";
$out[] = "USE `$db`;";
$out[] = <<<SQL
CREATE TABLE categories (
  id INT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(64) NOT NULL UNIQUE
) ENGINE=InnoDB;
CREATE TABLE users (
  id INT AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(32) NOT NULL UNIQUE,
  email VARCHAR(128) NOT NULL,
  full_name VARCHAR(128) NOT NULL,
  salt CHAR(16) NOT NULL,
  password_hash CHAR(64) NOT NULL,
  created_at DATETIME NOT NULL,
  last_login DATETIME NULL
) ENGINE=InnoDB;
CREATE TABLE products (
  id INT AUTO_INCREMENT PRIMARY KEY,
  category_id INT NOT NULL,
  name VARCHAR(128) NOT NULL,
  description TEXT NOT NULL,
  price DECIMAL(8,2) NOT NULL,
  stock INT NOT NULL,
  created_at DATETIME NOT NULL,
  INDEX (category_id),
  FOREIGN KEY (category_id) REFERENCES categories (id)
) ENGINE=InnoDB;
CREATE TABLE reviews (
  id INT AUTO_INCREMENT PRIMARY KEY,
  product_id INT NOT NULL,
  user_id INT NOT NULL,
  rating TINYINT NOT NULL,
  body TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  INDEX (product_id),
  FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB;
CREATE TABLE orders (
  id INT AUTO_INCREMENT PRIMARY KEY,
  user_id INT NOT NULL,
  product_id INT NOT NULL,
  quantity INT NOT NULL,
  total DECIMAL(10,2) NOT NULL,
  created_at DATETIME NOT NULL,
  INDEX (user_id),
  FOREIGN KEY (user_id) REFERENCES users (id),
  FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB;
SQL;

// Categories: the first N of the list, in a drawn order.
$cats = CATEGORIES;
for ($i = count($cats) - 1; $i > 0; $i--) {
    $j = mt_rand(0, $i);
    [$cats[$i], $cats[$j]] = [$cats[$j], $cats[$i]];
}
$cats = array_slice($cats, 0, $nCategories);
$rows = array_map(fn ($c) => '(' . lit($c) . ')', $cats);
array_push($out, ...inserts('INSERT INTO categories (name)', $rows));

// Customers: unique user names like "alice.kim42".
$rows = [];
$taken = [];
while (count($rows) < $nUsers) {
    $first = pick(FIRST);
    $last = pick(LAST);
    $name = $first . pick(['.', '_', '']) . $last . (mt_rand(0, 1) ? (string) mt_rand(1, 99) : '');
    $name = substr($name, 0, 32);
    if (isset($taken[$name])) {
        continue;
    }
    $taken[$name] = true;
    $salt = chars('0123456789abcdef', 16);
    $pw = chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', mt_rand(8, 16));
    $rows[] = '(' . implode(', ', [
        lit($name),
        lit($name . '@' . pick(DOMAINS)),
        lit(ucfirst($first) . ' ' . ucfirst($last)),
        lit($salt),
        lit(hash('sha256', $salt . $pw)),
        lit(when()),
    ]) . ')';
}
array_push($out, ...inserts('INSERT INTO users (username, email, full_name, salt, password_hash, created_at)', $rows));

// Products: unique names, a category, a price and a stock.
$rows = [];
$taken = [];
while (count($rows) < $nProducts) {
    $adj = pick(ADJECTIVES);
    $mat = pick(MATERIALS);
    $noun = pick(NOUNS);
    $name = ucfirst($adj) . ' ' . ucfirst($mat) . ' ' . ucfirst($noun);
    if (isset($taken[$name])) {
        continue;
    }
    $taken[$name] = true;
    $desc = "A $adj $noun made of $mat. " . pick(FILLER);
    $price = sprintf('%d.%02d', mt_rand(2, 499), mt_rand(0, 99));
    $rows[] = '(' . implode(', ', [
        (string) mt_rand(1, $nCategories),
        lit($name),
        lit($desc),
        $price,
        (string) mt_rand(0, 40),
        lit(when()),
    ]) . ')';
}
array_push($out, ...inserts('INSERT INTO products (category_id, name, description, price, stock, created_at)', $rows));

// Reviews by the customers.
if ($nReviews > 0) {
    $rows = [];
    for ($i = 0; $i < $nReviews; $i++) {
        $rows[] = '(' . implode(', ', [
            (string) mt_rand(1, $nProducts),
            (string) mt_rand(1, $nUsers),
            (string) mt_rand(1, 5),
            lit(pick(PRAISE) . ' ' . pick(PRAISE)),
            lit(when()),
        ]) . ')';
    }
    array_push($out, ...inserts('INSERT INTO reviews (product_id, user_id, rating, body, created_at)', $rows));
}

echo implode("\n", $out), "\n";
fwrite(STDERR, "gen-data: database $db: $nCategories categories, $nUsers users, "
    . "$nProducts products, $nReviews reviews (seed $seed)\n");
