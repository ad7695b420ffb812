<?php
// Registration: a new customer account (user name, e-mail, full name,
// password), stored as sha256(salt . password) with a fresh salt. A taken
// user name or invalid input is refused with the form again (409 / 422);
// a new account is signed in and sent to its profile (303).
require __DIR__ . '/lib.php';

function form(string $error = '', int $code = 200): void
{
    http_response_code($code);
    page_start('Create an account');
    if ($error !== '') {
        echo '<p class="error">' . h($error) . "</p>\n";
    }
    echo "<form class=\"register\" action=\"/register.php\" method=\"post\">\n"
        . "<label>User name <input name=\"username\"></label>\n"
        . "<label>E-mail <input name=\"email\" type=\"email\"></label>\n"
        . "<label>Full name <input name=\"full_name\"></label>\n"
        . "<label>Password <input name=\"password\" type=\"password\"></label>\n"
        . "<button>Register</button>\n</form>\n";
    page_end();
    exit;
}

start_session();
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    form();
}
$username = str_param($_POST, 'username');
$email = str_param($_POST, 'email');
$fullName = str_param($_POST, 'full_name');
$password = str_param($_POST, 'password');
if (!preg_match('/^[a-z0-9._]{2,32}$/', $username)) {
    form('User names have 2 to 32 lower-case letters, digits, dots or underscores.', 422);
}
if (!filter_var($email, FILTER_VALIDATE_EMAIL) || strlen($email) > 128) {
    form('Please enter a valid e-mail address.', 422);
}
if ($fullName === '' || strlen($fullName) > 128) {
    form('Please enter your name.', 422);
}
if (strlen($password) < 6) {
    form('Passwords have at least 6 characters.', 422);
}
if (db()->row('SELECT id FROM users WHERE username = ?', [$username]) !== null) {
    form('That user name is taken.', 409);
}
$salt = bin2hex(random_bytes(8));
db()->exec(
    'INSERT INTO users (username, email, full_name, salt, password_hash, created_at) VALUES (?, ?, ?, ?, ?, NOW())',
    [$username, $email, $fullName, $salt, hash('sha256', $salt . $password)]
);
session_regenerate_id(true);
$_SESSION['uid'] = db()->lastId();
$_SESSION['name'] = $username;
redirect('/profile.php?welcome=1');
