#!/bin/sh
# make-site.sh - builds the static web site that the server publishes.
#
# Inputs (environment):
#   SITE_SOURCE  folder with detgen's generated text files (the `site`
#                parameter, mounted read-only), one per page
#   SITE_PAGES   where each file goes: space-separated SECTION/STEM items,
#                rendered by detgen from the drawn files and sections (the
#                file of item STEM is SITE_SOURCE/STEM.txt)
#   SITE_TITLE   the site's title (drawn)
#   SITE_MTIME   the modification time of every file, in seconds since the
#                epoch (drawn; clients send it back in If-Modified-Since)
#   SITE_ROOT    the document root to fill (default /var/www/site)
#
# Layout of the site (every link is relative or root-relative, so a
# recursive wget walks all of it):
#   /index.html             home: the title and one link per section
#   /robots.txt             allows everything (wget -r asks for it first)
#   /style.css              the stylesheet every page links (a page requisite)
#   /SECTION/index.html     the section's table of contents, one link per page
#   /SECTION/STEM.html      an article: the text of STEM.txt in <pre>, with
#                           links to its raw text, its section and home
#   /SECTION/STEM.txt       the raw text file, byte for byte detgen's file
set -eu

: "${SITE_PAGES:?SITE_PAGES must list SECTION/STEM items}"
SOURCE=${SITE_SOURCE:-/srv/site}
ROOT=${SITE_ROOT:-/var/www/site}
TITLE=${SITE_TITLE:-Home}

rm -rf "$ROOT"
mkdir -p "$ROOT"

cat >"$ROOT/robots.txt" <<'TXT'
User-agent: *
Disallow:
TXT

cat >"$ROOT/style.css" <<'CSS'
body { font-family: sans-serif; margin: 2em auto; max-width: 50em; color: #222; }
h1 { border-bottom: 1px solid #ccc; }
nav a { margin-right: 1em; }
pre { background: #f6f6f6; padding: 1em; white-space: pre-wrap; }
CSS

# page_head FILE TITLE: the common top of every HTML page.
page_head() {
    cat >"$1" <<HTML
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>$2</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
HTML
}

sections=""
for item in $SITE_PAGES; do
    section=${item%%/*}
    stem=${item#*/}
    src="$SOURCE/$stem.txt"
    [ -f "$src" ] || { echo "make-site: no file $src for $item" >&2; exit 1; }
    dir="$ROOT/$section"
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        sections="$sections $section"
    fi
    cp "$src" "$dir/$stem.txt"
    page="$dir/$stem.html"
    page_head "$page" "$stem - $TITLE"
    {
        echo "<nav><a href=\"/\">$TITLE</a><a href=\"./\">$section</a><a href=\"$stem.txt\">raw text</a></nav>"
        echo "<h1>$stem</h1>"
        echo "<p>$(wc -c <"$src") bytes in section $section.</p>"
        echo "<pre>"
        cat "$src"
        echo "</pre>"
        echo "</body>"
        echo "</html>"
    } >>"$page"
    echo "$stem" >>"$dir/.pages"
done

page_head "$ROOT/index.html" "$TITLE"
{
    echo "<h1>$TITLE</h1>"
    echo "<ul>"
    for section in $sections; do
        echo "<li><a href=\"/$section/\">$section</a> ($(wc -l <"$ROOT/$section/.pages") pages)</li>"
    done
    echo "</ul>"
    echo "</body>"
    echo "</html>"
} >>"$ROOT/index.html"

for section in $sections; do
    idx="$ROOT/$section/index.html"
    page_head "$idx" "$section - $TITLE"
    {
        echo "<nav><a href=\"/\">$TITLE</a></nav>"
        echo "<h1>$section</h1>"
        echo "<ul>"
        while read -r stem; do
            echo "<li><a href=\"$stem.html\">$stem</a></li>"
        done <"$ROOT/$section/.pages"
        echo "</ul>"
        echo "</body>"
        echo "</html>"
    } >>"$idx"
    rm -f "$ROOT/$section/.pages"
done

chmod -R a+rX "$ROOT"
if [ -n "${SITE_MTIME:-}" ]; then
    find "$ROOT" -exec touch -h -d "@$SITE_MTIME" {} +
fi
echo "make-site: $(echo "$SITE_PAGES" | wc -w) page(s) in section(s):$sections"
