<?php
// The shop's JSON API, for its back office: every request carries the key
// in X-Api-Key (401 without it).
//   GET    /api.php/categories
//   GET    /api.php/products?category=ID&limit=N&offset=M
//   GET    /api.php/products/ID                     (404 if absent)
//   POST   /api.php/products      {name, category_id, price, stock, description}  -> 201
//   PUT    /api.php/products/ID   any of {name, price, stock, description}        -> 200
//   DELETE /api.php/products/ID                                                   -> 204
require __DIR__ . '/lib.php';

function reply(int $code, $body = null): void
{
    http_response_code($code);
    if ($body !== null) {
        header('Content-Type: application/json');
        echo json_encode($body, JSON_UNESCAPED_SLASHES), "\n";
    }
    exit;
}

function product(int $id): ?array
{
    $p = db()->row('SELECT id, category_id, name, description, price, stock FROM products WHERE id = ?', [$id]);
    if ($p !== null) {
        foreach (['id', 'category_id', 'stock'] as $k) {
            $p[$k] = (int) $p[$k];
        }
        $p['price'] = money($p['price']);
    }
    return $p;
}

// The JSON body's fields, checked.
function fields(bool $all): array
{
    $in = json_decode((string) file_get_contents('php://input'), true);
    if (!is_array($in)) {
        reply(400, ['error' => 'the body is not a JSON object']);
    }
    $out = [];
    foreach (['name' => 'string', 'description' => 'string', 'category_id' => 'int', 'price' => 'price', 'stock' => 'int'] as $k => $t) {
        if (!array_key_exists($k, $in)) {
            if ($all && $k !== 'description') {
                reply(422, ['error' => "missing field $k"]);
            }
            continue;
        }
        $v = $in[$k];
        $ok = match ($t) {
            'string' => is_string($v) && $v !== '' && strlen($v) <= 128,
            'int' => is_int($v) && $v >= 0,
            'price' => (is_int($v) || is_float($v) || (is_string($v) && is_numeric($v))) && (float) $v >= 0,
        };
        if (!$ok) {
            reply(422, ['error' => "invalid field $k"]);
        }
        $out[$k] = $t === 'price' ? money($v) : $v;
    }
    return $out;
}

$key = setting('API_KEY');
if ($key === '' || !hash_equals($key, (string) ($_SERVER['HTTP_X_API_KEY'] ?? ''))) {
    reply(401, ['error' => 'a valid X-Api-Key is required']);
}
$path = trim((string) ($_SERVER['PATH_INFO'] ?? ''), '/');
$method = $_SERVER['REQUEST_METHOD'];
$parts = $path === '' ? [] : explode('/', $path);

if ($parts === ['categories'] && $method === 'GET') {
    $rows = db()->rows('SELECT c.id, c.name, COUNT(p.id) AS products FROM categories c
        LEFT JOIN products p ON p.category_id = c.id GROUP BY c.id, c.name ORDER BY c.id');
    reply(200, array_map(fn ($r) => ['id' => (int) $r['id'], 'name' => $r['name'], 'products' => (int) $r['products']], $rows));
}
if ($parts === ['products'] && $method === 'GET') {
    $limit = min(100, max(1, int_param($_GET, 'limit', 20)));
    $offset = int_param($_GET, 'offset');
    $cat = int_param($_GET, 'category');
    $where = $cat > 0 ? 'WHERE category_id = ?' : '';
    $args = $cat > 0 ? [$cat] : [];
    $total = (int) db()->row("SELECT COUNT(*) AS n FROM products $where", $args)['n'];
    $rows = db()->rows("SELECT id FROM products $where ORDER BY id LIMIT ? OFFSET ?", array_merge($args, [$limit, $offset]));
    $items = [];
    foreach ($rows as $r) {
        $items[] = product((int) $r['id']);
    }
    reply(200, ['total' => $total, 'limit' => $limit, 'offset' => $offset, 'items' => $items]);
}
if ($parts === ['products'] && $method === 'POST') {
    $f = fields(true);
    if (db()->row('SELECT id FROM categories WHERE id = ?', [$f['category_id']]) === null) {
        reply(422, ['error' => 'no such category']);
    }
    db()->exec(
        'INSERT INTO products (category_id, name, description, price, stock, created_at) VALUES (?, ?, ?, ?, ?, NOW())',
        [$f['category_id'], $f['name'], $f['description'] ?? '', $f['price'], $f['stock']]
    );
    $id = db()->lastId();
    header('Location: /api.php/products/' . $id);
    reply(201, product($id));
}
if (count($parts) === 2 && $parts[0] === 'products' && preg_match('/^[0-9]{1,9}$/', $parts[1])) {
    $id = (int) $parts[1];
    if (product($id) === null) {
        reply(404, ['error' => "no product $id"]);
    }
    if ($method === 'GET') {
        reply(200, product($id));
    }
    if ($method === 'PUT') {
        $f = fields(false);
        unset($f['category_id']);
        if ($f === []) {
            reply(422, ['error' => 'nothing to change']);
        }
        $set = implode(', ', array_map(fn ($k) => "$k = ?", array_keys($f)));
        db()->exec("UPDATE products SET $set WHERE id = ?", array_merge(array_values($f), [$id]));
        reply(200, product($id));
    }
    if ($method === 'DELETE') {
        db()->exec('DELETE FROM products WHERE id = ?', [$id]);
        reply(204);
    }
    header('Allow: GET, PUT, DELETE');
    reply(405, ['error' => "$method is not allowed here"]);
}
reply(404, ['error' => 'no such resource']);
