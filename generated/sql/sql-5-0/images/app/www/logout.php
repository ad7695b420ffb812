<?php
// Sign-out: the session ends, back to the home page.
require __DIR__ . '/lib.php';

start_session();
$_SESSION = [];
session_destroy();
redirect('/');
