<?php
// An order, in one transaction: the product's row is locked (SELECT ...
// FOR UPDATE); with enough stock the stock goes down and the order is
// written (COMMIT, then 303 to the profile), otherwise nothing changes
// (ROLLBACK, 409).
require __DIR__ . '/lib.php';

$user = current_user();
if ($user === null) {
    redirect('/login.php');
}
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    fail_page(405, 'Orders are placed from a product page.');
}
$pid = int_param($_POST, 'product_id');
$qty = int_param($_POST, 'quantity');
if ($qty < 1 || $qty > 99) {
    fail_page(422, 'Please order between 1 and 99 items.');
}
db()->begin();
$p = db()->row('SELECT id, price, stock FROM products WHERE id = ? FOR UPDATE', [$pid]);
if ($p === null) {
    db()->rollback();
    fail_page(404, 'No such product');
}
if ((int) $p['stock'] < $qty) {
    db()->rollback();
    fail_page(409, 'Sorry, only ' . (int) $p['stock'] . ' left in stock.');
}
db()->exec('UPDATE products SET stock = stock - ? WHERE id = ?', [$qty, $pid]);
db()->exec(
    'INSERT INTO orders (user_id, product_id, quantity, total, created_at) VALUES (?, ?, ?, ?, NOW())',
    [(int) $user['id'], $pid, $qty, money($qty * (float) $p['price'])]
);
$oid = db()->lastId();
db()->commit();
redirect('/profile.php?ordered=' . $oid);
