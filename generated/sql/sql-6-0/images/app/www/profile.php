<?php
// The signed-in customer's profile: details, orders and review count; a
// POST changes the e-mail address and full name (and the password, if a
// new one is given).
require __DIR__ . '/lib.php';

$user = current_user();
if ($user === null) {
    redirect('/login.php');
}
$uid = (int) $user['id'];
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    $email = str_param($_POST, 'email');
    $fullName = str_param($_POST, 'full_name');
    $password = str_param($_POST, 'password');
    if (!filter_var($email, FILTER_VALIDATE_EMAIL) || $fullName === '' || strlen($fullName) > 128) {
        fail_page(422, 'Please enter a valid e-mail address and name.');
    }
    db()->exec('UPDATE users SET email = ?, full_name = ? WHERE id = ?', [$email, $fullName, $uid]);
    if ($password !== '') {
        if (strlen($password) < 6) {
            fail_page(422, 'Passwords have at least 6 characters.');
        }
        $salt = bin2hex(random_bytes(8));
        db()->exec('UPDATE users SET salt = ?, password_hash = ? WHERE id = ?', [$salt, hash('sha256', $salt . $password), $uid]);
    }
    redirect('/profile.php?updated=1');
}
$orders = db()->rows(
    'SELECT o.id, o.quantity, o.total, o.created_at, p.id AS product_id, p.name FROM orders o
     JOIN products p ON p.id = o.product_id WHERE o.user_id = ? ORDER BY o.id DESC',
    [$uid]
);
$reviews = (int) db()->row('SELECT COUNT(*) AS n FROM reviews WHERE user_id = ?', [$uid])['n'];
page_start('Your account');
if (isset($_GET['welcome'])) {
    echo '<p class="ok">Welcome, ' . h($user['username']) . "! Your account was created.</p>\n";
} elseif (isset($_GET['updated'])) {
    echo "<p class=\"ok\">Your details were saved.</p>\n";
} elseif (isset($_GET['ordered'])) {
    echo '<p class="ok">Thank you! Order #' . int_param($_GET, 'ordered') . " was placed.</p>\n";
}
echo '<dl><dt>User name</dt><dd class="username">' . h($user['username']) . '</dd><dt>E-mail</dt><dd class="email">'
    . h($user['email']) . '</dd><dt>Name</dt><dd class="full-name">' . h($user['full_name']) . "</dd>\n"
    . '<dt>Reviews</dt><dd class="reviews">' . $reviews . "</dd></dl>\n";
echo "<form class=\"profile\" action=\"/profile.php\" method=\"post\">\n"
    . '<label>E-mail <input name="email" value="' . h($user['email']) . "\"></label>\n"
    . '<label>Full name <input name="full_name" value="' . h($user['full_name']) . "\"></label>\n"
    . "<label>New password <input name=\"password\" type=\"password\"></label>\n"
    . "<button>Save</button>\n</form>\n";
echo '<h2>Orders</h2><p class="orders">' . count($orders) . " orders</p>\n<ul class=\"orders\">\n";
foreach ($orders as $o) {
    echo '<li class="order">#' . (int) $o['id'] . ': ' . (int) $o['quantity'] . ' x <a class="product" href="/product.php?id='
        . (int) $o['product_id'] . '">' . h($o['name']) . '</a> = ' . money($o['total']) . "</li>\n";
}
echo "</ul>\n";
page_end();
