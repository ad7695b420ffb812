<?php
// The shop's home page: categories with their product counts, the newest
// products and the best rated ones.
require __DIR__ . '/lib.php';

$cats = db()->rows(
    'SELECT c.id, c.name, COUNT(p.id) AS n FROM categories c
     LEFT JOIN products p ON p.category_id = c.id GROUP BY c.id, c.name ORDER BY c.name'
);
$newest = db()->rows('SELECT id, name, price FROM products ORDER BY created_at DESC, id DESC LIMIT ?', [8]);
$best = db()->rows(
    'SELECT p.id, p.name, p.price, AVG(r.rating) AS rating, COUNT(r.id) AS reviews
     FROM products p JOIN reviews r ON r.product_id = p.id
     GROUP BY p.id, p.name, p.price HAVING COUNT(r.id) >= ? ORDER BY rating DESC, reviews DESC LIMIT ?',
    [1, 5]
);
page_start('Welcome');
echo "<h2>Categories</h2>\n<ul class=\"category-list\">\n";
foreach ($cats as $c) {
    echo '<li><a class="category" href="/category.php?id=' . (int) $c['id'] . '">' . h($c['name'])
        . '</a> (' . (int) $c['n'] . ")</li>\n";
}
echo "</ul>\n<h2>New arrivals</h2>\n";
product_list($newest);
if ($best) {
    echo "<h2>Best rated</h2>\n";
    product_list($best);
}
page_end();
