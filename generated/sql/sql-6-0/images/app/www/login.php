<?php
// Sign-in: the account is looked up by user name and the password checked
// against its salted hash; success records the time, starts a session and
// goes to the profile (303), failure shows the form again with an error.
require __DIR__ . '/lib.php';

function form(string $error = ''): void
{
    page_start('Sign in');
    if ($error !== '') {
        echo '<p class="error">' . h($error) . "</p>\n";
    }
    echo "<form class=\"login\" action=\"/login.php\" method=\"post\">\n"
        . "<label>User name <input name=\"username\"></label>\n"
        . "<label>Password <input name=\"password\" type=\"password\"></label>\n"
        . "<button>Sign in</button>\n</form>\n";
    page_end();
    exit;
}

start_session();
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    form();
}
$username = str_param($_POST, 'username');
$password = str_param($_POST, 'password');
$u = db()->row('SELECT id, username, salt, password_hash FROM users WHERE username = ?', [$username]);
if ($u === null || !hash_equals($u['password_hash'], hash('sha256', $u['salt'] . $password))) {
    form('Invalid user name or password.');
}
db()->exec('UPDATE users SET last_login = NOW() WHERE id = ?', [(int) $u['id']]);
session_regenerate_id(true);
$_SESSION['uid'] = (int) $u['id'];
$_SESSION['name'] = $u['username'];
redirect('/profile.php');
