<?php
/*
 * wp-setup.php - installs and fills the `wordpress` scenario's blog, from
 * the command line, before Apache starts (wp-server.sh runs it). Debian has
 * no wp-cli; this does what `wp core install` and `wp post generate` would,
 * through WordPress's own functions (wp_install, wp_insert_user,
 * wp_insert_term, wp_insert_post, wp_insert_comment), so every row reaches
 * MariaDB over the network as WordPress's own queries.
 *
 * Inputs (environment, drawn by detgen):
 *   SITE_HOST          the blog's host name
 *   BLOG_TITLE, BLOG_TAGLINE
 *   ADMIN_USER, ADMIN_PASSWORD, ADMIN_EMAIL   the administrator
 *   AUTHOR_USER, AUTHOR_PASSWORD, AUTHOR_ROLE the second account (author
 *                      or editor) the login and XML-RPC clients use
 *   PERMALINKS         plain, day-name, month-name, numeric, postname or
 *                      category
 *   POSTS_PER_PAGE     posts per page of the home page and archives
 *   CONTENT_SEED       seed of the content below (mt_srand)
 *   N_POSTS, N_PAGES, N_CATEGORIES, N_TAGS, N_COMMENTS
 *   MODERATION         auto (visitors' comments appear at once) or hold
 *                      (they wait for moderation)
 * Prints what it made; exits non-zero on any failure. Run again with the
 * argument `rewrite`, it writes the rewrite rules of the installed blog.
 */

$rewrite_only = ($argv[1] ?? '') === 'rewrite';
$_SERVER['HTTP_HOST'] = getenv('SITE_HOST');
$_SERVER['SERVER_NAME'] = getenv('SITE_HOST');
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PORT'] = '80';
if ($rewrite_only) {
    /* The installed blog, its permalink structure set: write its rewrite
     * rules (the option; no .htaccess, Apache has WordPress's rules). */
    require '/usr/share/wordpress/wp-load.php';
    flush_rewrite_rules(false);
    printf("wp-setup: %d rewrite rules for permalinks %s\n", count(get_option('rewrite_rules') ?: []),
        get_option('permalink_structure') ?: '(plain)');
    exit(0);
}
define('WP_INSTALLING', true);
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/user.php';

function need($name) {
    $v = getenv($name);
    if ($v === false || $v === '') {
        fwrite(STDERR, "wp-setup: $name must be set\n");
        exit(1);
    }
    return $v;
}

function check($what, $r) {
    if (is_wp_error($r) || $r === 0 || $r === false) {
        $msg = is_wp_error($r) ? $r->get_error_message() : var_export($r, true);
        fwrite(STDERR, "wp-setup: $what failed: $msg\n");
        exit(1);
    }
    return $r;
}

$WORDS = explode(' ', 'garden river mountain coffee morning winter summer journey kitchen bread recipe '
    . 'camera photo light shadow city street market music guitar piano concert book library '
    . 'story chapter forest trail bicycle train station harbour island ocean wave storm cloud '
    . 'rain sunset evening lantern candle window door garden tomato basil lemon honey tea '
    . 'notebook pencil letter travel map compass north south village bridge castle museum '
    . 'painting canvas colour sketch workshop wood metal clay pottery code server network '
    . 'python linux keyboard screen update release version project community festival dance '
    . 'theatre film review weekend holiday family friend neighbour dog cat bird owl fox');

function words($n) {
    global $WORDS;
    $out = [];
    for ($i = 0; $i < $n; $i++) {
        $out[] = $WORDS[mt_rand(0, count($WORDS) - 1)];
    }
    return implode(' ', $out);
}

function title() {
    return ucwords(words(mt_rand(2, 6)));
}

function paragraph() {
    return ucfirst(words(mt_rand(15, 70))) . '.';
}

/* Block-editor markup, as the editor saves it. */
function content() {
    $blocks = [];
    $n = mt_rand(2, 7);
    for ($i = 0; $i < $n; $i++) {
        $kind = mt_rand(0, 9);
        if ($kind === 0) {
            $blocks[] = "<!-- wp:heading -->\n<h2>" . title() . "</h2>\n<!-- /wp:heading -->";
        } elseif ($kind === 1) {
            $items = '';
            for ($j = mt_rand(2, 5); $j > 0; $j--) {
                $items .= '<li>' . ucfirst(words(mt_rand(2, 8))) . '</li>';
            }
            $blocks[] = "<!-- wp:list -->\n<ul>$items</ul>\n<!-- /wp:list -->";
        } elseif ($kind === 2) {
            $blocks[] = "<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\"><p>" . paragraph()
                . "</p></blockquote>\n<!-- /wp:quote -->";
        } else {
            $blocks[] = "<!-- wp:paragraph -->\n<p>" . paragraph() . "</p>\n<!-- /wp:paragraph -->";
        }
    }
    return implode("\n\n", $blocks);
}

$host = need('SITE_HOST');
mt_srand((int) need('CONTENT_SEED'));

/* 1. The installation (tables, options, the administrator, the first post). */
$installed = check('wp_install', wp_install(
    need('BLOG_TITLE'), need('ADMIN_USER'), need('ADMIN_EMAIL'), true, '', wp_slash(need('ADMIN_PASSWORD'))
));
$admin_id = $installed['user_id'];

/* 2. Settings. */
$structures = [
    'plain' => '',
    'day-name' => '/%year%/%monthnum%/%day%/%postname%/',
    'month-name' => '/%year%/%monthnum%/%postname%/',
    'numeric' => '/archives/%post_id%',
    'postname' => '/%postname%/',
    'category' => '/%category%/%postname%/',
];
$permalinks = need('PERMALINKS');
if (!array_key_exists($permalinks, $structures)) {
    fwrite(STDERR, "wp-setup: unknown PERMALINKS $permalinks\n");
    exit(1);
}
update_option('blogdescription', need('BLOG_TAGLINE'));
update_option('posts_per_page', (int) need('POSTS_PER_PAGE'));
update_option('posts_per_rss', 10);
update_option('default_comment_status', 'open');
update_option('require_name_email', 1);
update_option('comment_registration', 0);
update_option('close_comments_for_old_posts', 0);
update_option('thread_comments', 1);
update_option('comment_moderation', need('MODERATION') === 'hold' ? 1 : 0);
update_option('comment_previously_approved', 0);
update_option('comment_max_links', 2);
update_option('timezone_string', 'UTC');
/* The rewrite rules are written by a second run (`wp-setup.php rewrite`):
 * in this one the taxonomies registered their rules (%category%, %tag%)
 * at init, when the fresh install had no permalink structure, so they
 * would be missing. */
update_option('permalink_structure', $structures[$permalinks]);

/* 3. The second account. */
$author_id = check('the author account', wp_insert_user([
    'user_login' => need('AUTHOR_USER'),
    'user_pass' => need('AUTHOR_PASSWORD'),
    'user_email' => need('AUTHOR_USER') . '@' . $host,
    'display_name' => ucfirst(need('AUTHOR_USER')),
    'role' => need('AUTHOR_ROLE'),
]));

/* 4. Categories and tags. */
$cats = [];
for ($i = 0, $n = (int) need('N_CATEGORIES'); $i < $n; $i++) {
    $name = ucfirst(words(1)) . ($i ? ' ' . ucfirst(words(1)) : '');
    if (term_exists($name, 'category')) {
        continue;
    }
    $t = check("category $name", wp_insert_term($name, 'category', ['description' => paragraph()]));
    $cats[] = $t['term_id'];
}
$tags = [];
for ($i = 0, $n = (int) need('N_TAGS'); $i < $n; $i++) {
    $tags[] = words(1);
}
$tags = array_values(array_unique($tags));

/* 5. Posts by both accounts, spread over the last two years. */
$posts = [];
$now = time();
for ($i = 0, $n = (int) need('N_POSTS'); $i < $n; $i++) {
    $when = $now - mt_rand(3600, 730 * 86400);
    $id = check('a post', wp_insert_post([
        'post_title' => title(),
        'post_content' => content(),
        'post_excerpt' => mt_rand(0, 3) ? '' : paragraph(),
        'post_status' => 'publish',
        'post_author' => mt_rand(0, 1) ? $admin_id : $author_id,
        'post_date' => gmdate('Y-m-d H:i:s', $when),
        'post_date_gmt' => gmdate('Y-m-d H:i:s', $when),
        'post_category' => $cats ? [$cats[mt_rand(0, count($cats) - 1)]] : [],
        'tags_input' => $tags ? array_slice($tags, mt_rand(0, count($tags) - 1), mt_rand(0, 3)) : [],
        'comment_status' => 'open',
    ], true));
    $posts[] = $id;
}
if (count($posts) > 2 && mt_rand(0, 1)) {
    stick_post($posts[mt_rand(0, count($posts) - 1)]);
}

/* 6. Pages. */
$page_titles = ['About', 'Contact', 'Archive', 'Projects', 'Now', 'Colophon', 'Links', 'Reading List'];
shuffle($page_titles);
for ($i = 0, $n = (int) need('N_PAGES'); $i < $n; $i++) {
    check('a page', wp_insert_post([
        'post_title' => $page_titles[$i % count($page_titles)],
        'post_content' => content(),
        'post_status' => 'publish',
        'post_type' => 'page',
        'post_author' => $admin_id,
        'menu_order' => $i,
    ], true));
}

/* 7. Readers' comments (approved), some of them replies. */
$first = ['Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hugo', 'Ines', 'Jonas'];
$made = [];
for ($i = 0, $n = (int) need('N_COMMENTS'); $i < $n && $posts; $i++) {
    $post = $posts[mt_rand(0, count($posts) - 1)];
    $name = $first[mt_rand(0, count($first) - 1)];
    $parent = (!empty($made[$post]) && mt_rand(0, 2) === 0) ? $made[$post][0] : 0;
    $c = check('a comment', wp_insert_comment([
        'comment_post_ID' => $post,
        'comment_author' => $name,
        'comment_author_email' => strtolower($name) . mt_rand(1, 99) . '@example.org',
        'comment_author_IP' => '10.0.' . mt_rand(0, 255) . '.' . mt_rand(1, 254),
        'comment_content' => ucfirst(words(mt_rand(5, 40))) . '.',
        'comment_parent' => $parent,
        'comment_approved' => 1,
        'comment_date' => get_post_field('post_date', $post),
    ]));
    $made[$post][] = $c;
}

printf("wp-setup: blog \"%s\" installed for %s (administrator %s, %s %s); %d posts, %d pages, "
    . "%d categories, %d tags, %d comments; permalinks %s, %d posts per page, comments %s\n",
    get_option('blogname'), $host, need('ADMIN_USER'), need('AUTHOR_ROLE'), need('AUTHOR_USER'),
    count($posts) + 1, (int) need('N_PAGES') + 1, count($cats) + 1, count($tags),
    (int) need('N_COMMENTS') + 1, $permalinks, (int) need('POSTS_PER_PAGE'), need('MODERATION'));
