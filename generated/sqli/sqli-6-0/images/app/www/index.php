<?php
// The portal's home page.
require __DIR__ . '/lib.php';

page_start('Welcome');
echo "<p>Employees sign in to read their messages. New here? Create an account.</p>\n"
    . "<ul><li><a href=\"/login.php\">Sign in</a></li><li><a href=\"/register.php\">Register</a></li></ul>\n";
page_end();
