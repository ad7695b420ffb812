<?php
// One product: its details, stock, rating and latest reviews; signed-in
// customers also get an order form and a review form.
require __DIR__ . '/lib.php';

$id = int_param($_GET, 'id');
$p = db()->row(
    'SELECT p.id, p.name, p.description, p.price, p.stock, p.category_id, c.name AS category
     FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = ?',
    [$id]
);
if ($p === null) {
    fail_page(404, 'No such product');
}
$stats = db()->row('SELECT COUNT(*) AS n, AVG(rating) AS avg FROM reviews WHERE product_id = ?', [$id]);
$reviews = db()->rows(
    'SELECT r.rating, r.body, r.created_at, u.username FROM reviews r JOIN users u ON u.id = r.user_id
     WHERE r.product_id = ? ORDER BY r.created_at DESC, r.id DESC LIMIT ?',
    [$id, 10]
);
$user = isset($_COOKIE['SHOPSESSID']) ? current_user() : null;
page_start($p['name']);
echo '<p class="product-id">Product #' . (int) $p['id'] . ' in <a class="category" href="/category.php?id='
    . (int) $p['category_id'] . '">' . h($p['category']) . "</a></p>\n";
echo '<p class="description">' . h($p['description']) . "</p>\n";
echo '<p>Price: <span class="price">' . money($p['price']) . '</span>, in stock: <span class="stock">'
    . (int) $p['stock'] . "</span></p>\n";
$n = (int) $stats['n'];
echo '<p class="rating">' . ($n ? sprintf('%.1f / 5 from %d reviews', $stats['avg'], $n) : 'No reviews yet') . "</p>\n";
if ($user !== null) {
    echo '<form class="order" action="/order.php" method="post"><input type="hidden" name="product_id" value="'
        . (int) $p['id'] . "\"><input name=\"quantity\" value=\"1\" size=\"3\"> <button>Order</button></form>\n";
    echo '<form class="review" action="/review.php" method="post"><input type="hidden" name="product_id" value="'
        . (int) $p['id'] . "\"><input name=\"rating\" value=\"5\" size=\"1\"><textarea name=\"body\"></textarea>"
        . "<button>Review</button></form>\n";
}
echo "<ul class=\"reviews\">\n";
foreach ($reviews as $r) {
    echo '<li class="review">' . str_repeat('*', (int) $r['rating']) . ' ' . h($r['body']) . ' <i>'
        . h($r['username']) . ', ' . h(substr($r['created_at'], 0, 10)) . "</i></li>\n";
}
echo "</ul>\n";
page_end();
