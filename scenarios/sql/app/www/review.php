<?php
// A signed-in customer's review of a product (rating 1-5 and a text);
// back to the product page (303).
require __DIR__ . '/lib.php';

$user = current_user();
if ($user === null) {
    redirect('/login.php');
}
$pid = int_param($_POST, 'product_id');
$rating = int_param($_POST, 'rating');
$body = str_param($_POST, 'body');
if ($rating < 1 || $rating > 5 || $body === '' || strlen($body) > 2000) {
    fail_page(422, 'A review has a rating from 1 to 5 and a text.');
}
if (db()->row('SELECT id FROM products WHERE id = ?', [$pid]) === null) {
    fail_page(404, 'No such product');
}
db()->exec(
    'INSERT INTO reviews (product_id, user_id, rating, body, created_at) VALUES (?, ?, ?, ?, NOW())',
    [$pid, (int) $user['id'], $rating, $body]
);
redirect('/product.php?id=' . $pid);
