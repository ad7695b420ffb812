<?php
// A category's products, ten per page, sorted by name, price or date.
require __DIR__ . '/lib.php';

const PER_PAGE = 10;
const SORTS = [
    'name' => 'name ASC, id ASC',
    'price' => 'price ASC, id ASC',
    'price-desc' => 'price DESC, id ASC',
    'newest' => 'created_at DESC, id DESC',
];
$id = int_param($_GET, 'id');
$page = max(1, int_param($_GET, 'page', 1));
$sort = str_param($_GET, 'sort');
if (!isset(SORTS[$sort])) {
    $sort = 'name';
}
$cat = db()->row('SELECT id, name FROM categories WHERE id = ?', [$id]);
if ($cat === null) {
    fail_page(404, 'No such category');
}
$total = (int) db()->row('SELECT COUNT(*) AS n FROM products WHERE category_id = ?', [$id])['n'];
$pages = max(1, intdiv($total + PER_PAGE - 1, PER_PAGE));
$page = min($page, $pages);
$products = db()->rows(
    'SELECT id, name, price FROM products WHERE category_id = ? ORDER BY ' . SORTS[$sort] . ' LIMIT ? OFFSET ?',
    [$id, PER_PAGE, ($page - 1) * PER_PAGE]
);
page_start($cat['name']);
echo '<p class="count">' . $total . " products</p>\n<p class=\"sort\">Sort by:";
foreach (array_keys(SORTS) as $s) {
    echo ' <a class="sort" href="/category.php?id=' . $id . '&amp;sort=' . $s . '">' . $s . '</a>';
}
echo "</p>\n";
product_list($products);
echo '<p class="pages">';
for ($p = 1; $p <= $pages; $p++) {
    echo $p === $page ? " <b>$p</b>"
        : ' <a class="page" href="/category.php?id=' . $id . '&amp;sort=' . $sort . '&amp;page=' . $p . "\">$p</a>";
}
echo "</p>\n";
page_end();
