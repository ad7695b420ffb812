<?php
// Registration - NOT vulnerable: every statement is a prepared statement
// with bound values. REGISTER_CHECK=strict also refuses user names that are
// not letters, digits and underscores and invalid e-mail addresses (422);
// lenient only limits lengths. The answer never says whether the name was
// free (no account enumeration), and database errors are not shown.
require __DIR__ . '/lib.php';

function form(): void
{
    echo "<form class=\"register\" action=\"/register.php\" method=\"post\">\n"
        . "<label>User name <input name=\"username\"></label>\n"
        . "<label>E-mail <input name=\"email\" type=\"email\"></label>\n"
        . "<label>Password <input name=\"password\" type=\"password\"></label>\n"
        . "<button>Register</button>\n</form>\n";
}

function done(int $code, string $class, string $message): void
{
    http_response_code($code);
    echo "<p class=\"$class\">" . h($message) . "</p>\n";
    form();
    page_end();
    exit;
}

page_start('Create an account');
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    form();
    page_end();
    exit;
}
$username = field('username');
$email = field('email');
$password = field('password');
$strict = setting('REGISTER_CHECK', 'strict') === 'strict';
if ($username === '' || strlen($username) > 64 || $email === '' || strlen($email) > 128 || strlen($password) < 6) {
    done(422, 'error', 'Please fill in every field (passwords have at least 6 characters).');
}
if ($strict && (!preg_match('/^[A-Za-z0-9_]{3,32}$/', $username) || !filter_var($email, FILTER_VALIDATE_EMAIL))) {
    done(422, 'error', 'User names have 3 to 32 letters, digits or underscores, and the e-mail address must be valid.');
}
try {
    $st = db()->prepare('SELECT id FROM users WHERE username = ?');
    $st->bind_param('s', $username);
    $st->execute();
    $exists = $st->get_result()->fetch_assoc() !== null;
    $st->close();
    if (!$exists) {
        $stored = setting('PASSWORD_STORAGE', 'plain') === 'md5' ? md5($password) : $password;
        $st = db()->prepare("INSERT INTO users (username, password, email, role, created_at) VALUES (?, ?, ?, 'user', NOW())");
        $st->bind_param('sss', $username, $stored, $email);
        $st->execute();
        $st->close();
    }
} catch (mysqli_sql_exception $e) {
    error_log('register: ' . $e->getMessage());
    done(500, 'error', 'Something went wrong. Please try again later.');
}
done(200, 'ok', 'Thank you! If the user name was free, your account is ready: check your e-mail.');
