<?php
// Sign-in - DELIBERATELY VULNERABLE to SQL injection: the user name and
// the password are pasted into the statement as they came (no escaping,
// no prepared statement), and database errors are shown to the visitor.
// With PASSWORD_STORAGE=md5 the password is compared as MD5('...').
// A match greets the first row's user; otherwise the form comes back.
require __DIR__ . '/lib.php';

function form(string $error = ''): void
{
    if ($error !== '') {
        echo '<p class="error">' . h($error) . "</p>\n";
    }
    echo "<form class=\"login\" action=\"/login.php\" method=\"post\">\n"
        . "<label>User name <input name=\"username\"></label>\n"
        . "<label>Password <input name=\"password\" type=\"password\"></label>\n"
        . "<button>Sign in</button>\n</form>\n";
}

page_start('Sign in');
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    form();
    page_end();
    exit;
}
$username = field('username');
$password = field('password');
$check = setting('PASSWORD_STORAGE', 'plain') === 'md5' ? "MD5('" . $password . "')" : "'" . $password . "'";
$sql = "SELECT id, username, role FROM users WHERE username = '" . $username . "' AND password = " . $check;
try {
    $row = db()->query($sql)->fetch_assoc();
} catch (mysqli_sql_exception $e) {
    echo '<p class="error">Database error: ' . h($e->getMessage()) . "</p>\n";
    form();
    page_end();
    exit;
}
if ($row) {
    echo '<p class="ok">Welcome back, ' . h((string) $row['username']) . '! You are signed in as '
        . h((string) $row['role']) . ".</p>\n<p><a href=\"/\">Your messages</a></p>\n";
} else {
    form('Invalid username or password.');
}
page_end();
