<?php
// Product search: names and descriptions containing the words (LIKE),
// twenty results at most, by relevance (name matches first), price or name.
require __DIR__ . '/lib.php';

const SORTS = [
    'relevance' => 'in_name DESC, name ASC',
    'price' => 'price ASC, id ASC',
    'price-desc' => 'price DESC, id ASC',
    'name' => 'name ASC',
];
$q = str_param($_GET, 'q');
$sort = str_param($_GET, 'sort');
if (!isset(SORTS[$sort])) {
    $sort = 'relevance';
}
if ($q === '') {
    page_start('Search');
    echo "<form action=\"/search.php\" method=\"get\"><input name=\"q\"> <button>Search</button></form>\n";
    page_end();
    exit;
}
$like = '%' . addcslashes(substr($q, 0, 64), '%_\\') . '%';
$total = (int) db()->row(
    'SELECT COUNT(*) AS n FROM products WHERE name LIKE ? OR description LIKE ?',
    [$like, $like]
)['n'];
$rows = db()->rows(
    'SELECT id, name, price, name LIKE ? AS in_name FROM products
     WHERE name LIKE ? OR description LIKE ? ORDER BY ' . SORTS[$sort] . ' LIMIT ?',
    [$like, $like, $like, 20]
);
page_start('Search');
echo '<p class="count">' . $total . ' result' . ($total === 1 ? '' : 's') . ' for "' . h($q) . "\"</p>\n";
if ($total > 1) {
    echo '<p class="sort">Sort by:';
    foreach (array_keys(SORTS) as $s) {
        echo ' <a class="sort" href="/search.php?q=' . h(urlencode($q)) . '&amp;sort=' . $s . '">' . $s . '</a>';
    }
    echo "</p>\n";
}
echo "<ul class=\"results\">\n";
foreach ($rows as $p) {
    echo '<li class="result"><a class="product" href="/product.php?id=' . (int) $p['id'] . '">' . h($p['name'])
        . '</a> <span class="price">' . money($p['price']) . "</span></li>\n";
}
echo "</ul>\n";
page_end();
