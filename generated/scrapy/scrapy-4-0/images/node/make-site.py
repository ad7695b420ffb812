#!/usr/bin/env python3
"""make-site.py - builds the "internet" web sites the `scrapy` crawler visits.

Every host name in SITES is a DNS alias of the web service; each gets its
own document root /var/www/<host> and an nginx server block (written to
/etc/nginx/detgen-sites.conf). The content is drawn from SITE_SEED (and
the host name), so a run's seed fixes every page.

Inputs (environment):
  SITES         host names to build (space separated); a host whose name
                starts with "portal." is a web directory linking to the
                others and to sites outside the scenario (*.example, a
                reserved name that never resolves: the crawler must filter
                them as off-site)
  SITE_SEED     seed of the content
  SITE_PAGES    articles (or products, entries) per site
  PAGE_SIZE     links per listing page (a section is paginated: page 2,
                3... each one link deeper than the previous)
  CROSS_LINKS   "related" links from each article to other articles
  BROKEN_LINKS  links per site to pages that do not exist (404)
  REDIRECTS     links per site to old URLs answered 301 to the article
  DISALLOW      path prefixes robots.txt disallows (space separated; the
                site has pages under each of them, linked from the others)
  SITE_SCHEME   http or https: the scheme of absolute links (sitemaps,
                links between the sites)

Layout of a site:
  /robots.txt                 User-agent: *, the DISALLOW lines, Sitemap:
  /sitemap.xml                sitemap index -> /sitemaps/<section>.xml
                              (the last section's is gzipped: .xml.gz)
  /                           home: sections, newest articles, tags
  /<section>/                 listing, PAGE_SIZE links, then page-2.html...
  /<section>/<slug>.html      an article: title, date, author, price (shop),
                              text, related links, tags, section, home
  /tag/<word>.html            the articles carrying a tag
  /private/<slug>.html        members' pages (robots.txt keeps crawlers out)
  /archive/<n>                old URLs: 301 to an article
  /static/site.css            the stylesheet (not followed by a crawler)
"""
import gzip
import hashlib
import html
import os
import random
import sys

WORDS = """
able acid aged also area army away baby back ball band bank base bath bear
beat been beer bell belt best bird blow blue boat body bone book boot born
boss both bowl bulk burn bush busy cake call calm came camp card care cart
case cash cast cell chat chip city club coal coat code cold come cook cool
cope copy core cost crew crop dark data date dawn days dead deal dear debt
deep deny desk dial diet disk done door dose down draw drew drop drug dual
duke dust duty each earn ease east easy edge else even ever exit face fact
fail fair fall farm fast fate fear feed feel file fill film find fine fire
firm fish five flat flow food foot form fort four free from fuel full fund
gain game gate gave gear gift girl give glad goal gold golf gone good gray
grew grey grow gulf hair half hall hand hang hard harm hate have head hear
heat held hell help here hero high hill hire hold hole holy home hope host
hour huge hung hunt hurt idea inch into iron item jack jane jean john join
jump jury just keen keep kent kept kick kind king knee knew know lack lady
laid lake land lane last late lead left less life lift like line link list
live load loan lock logo long look lord lose loss lost love luck made mail
main make male many mark mass matt meal mean meat meet menu mere mike mile
milk mill mind mine miss mode mood moon more most move much must name navy
near neck need news next nice nick nine none nose note okay once only open
oral over pace pack page paid pain pair palm park part pass past path peak
pick pink pipe plan play plot plug plus poll pool poor port post pull pure
push race rail rain rank rare rate read real rear rely rent rest rice rich
ride ring rise risk road rock role roll roof room root rose rule rush safe
said sake sale salt same sand save seat seed seek seem seen self sell send
sent ship shop shot show shut sick side sign site size skin slip slow snow
soft soil sold sole some song soon sort soul spot star stay step stop such
suit sure take tale talk tall tank tape task team tech tell tend term test
text than that them then they thin this thus till time tiny told tone tony
took tool tour town tree trip true tune turn twin type unit upon used user
vary vast very vice view vote wage wait wake walk wall want ward warm wash
wave ways weak wear week well went were west what when whom wide wife wild
will wind wine wing wire wise wish with wood word wore work yard yeah year
""".split()

# Sections and kind of content by the host's first label.
FLAVOURS = {
    "news": ("article", ["world", "politics", "business", "science", "sport", "culture", "tech"]),
    "shop": ("product", ["garden", "kitchen", "outdoor", "toys", "books", "audio", "office"]),
    "blog": ("post", ["travel", "recipes", "notes", "photos", "diary", "howto"]),
    "wiki": ("entry", ["history", "people", "places", "science", "language", "nature"]),
    "docs": ("page", ["guide", "reference", "tutorials", "faq", "releases"]),
}
AUTHORS = ["A. Jensen", "M. Rossi", "K. Tanaka", "L. Moreau", "S. Novak", "J. Okafor", "E. Lind", "P. Silva"]
EXTERNAL = [
    "www.wikipedia.example", "twitter.example", "github.example", "news.ycombinator.example",
    "archive.example", "maps.example", "video.example", "cdn.fonts.example",
]


def env(name, default=None):
    v = os.environ.get(name, default)
    if v is None:
        sys.exit(f"make-site: {name} must be set")
    return v


SITES = env("SITES").split()
SEED = env("SITE_SEED")
N_PAGES = int(env("SITE_PAGES"))
PAGE_SIZE = max(1, int(env("PAGE_SIZE", "8")))
CROSS = int(env("CROSS_LINKS", "2"))
BROKEN = int(env("BROKEN_LINKS", "0"))
REDIRECTS = int(env("REDIRECTS", "0"))
DISALLOW = [p if p.endswith("/") else p + "/" for p in env("DISALLOW", "/private/").split()]
SCHEME = env("SITE_SCHEME", "http")
ROOT = "/var/www"


def rng_for(host):
    return random.Random(hashlib.sha256(f"{SEED}/{host}".encode()).digest())


def words(r, n):
    return " ".join(r.choice(WORDS) for _ in range(n))


def title(r):
    return " ".join(w.capitalize() for w in words(r, r.randint(2, 6)).split())


def page(host, heading, body, head_title=None):
    t = html.escape(head_title or heading)
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{t} | {html.escape(host)}</title>"
        "<link rel=\"stylesheet\" href=\"/static/site.css\"></head>\n<body>\n"
        f"<header><a href=\"/\" class=\"home\">{html.escape(host)}</a></header>\n"
        f"<main>\n<h1>{html.escape(heading)}</h1>\n{body}\n</main>\n"
        "<footer><a href=\"/\">Home</a></footer>\n</body></html>\n"
    )


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(text, bytes) else "w"
    with open(path, mode) as f:
        f.write(text)


def ul(links):
    items = "".join(f"<li><a href=\"{html.escape(h)}\">{html.escape(t)}</a></li>\n" for h, t in links)
    return f"<ul>\n{items}</ul>"


def build_site(host, others):
    r = rng_for(host)
    root = f"{ROOT}/{host}"
    first = host.split(".")[0]
    kind, pool = FLAVOURS.get(first, FLAVOURS["blog" if first not in ("www",) else "news"])
    sections = r.sample(pool, r.randint(2, min(5, len(pool))))
    tags = sorted(set(r.sample(WORDS, 12)))
    # The articles: (section, slug, title, date, author, tags).
    arts, used = [], set()
    for i in range(N_PAGES):
        sec = sections[i % len(sections)]
        t = title(r)
        slug = "-".join(t.lower().split())[:48]
        while slug in used:
            slug += f"-{r.randint(2, 99)}"
        used.add(slug)
        date = f"20{r.randint(10, 24):02d}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        arts.append({
            "sec": sec, "slug": slug, "title": t, "date": date,
            "author": r.choice(AUTHORS), "tags": r.sample(tags, r.randint(1, 3)),
            "url": f"/{sec}/{slug}.html", "price": f"{r.uniform(2, 400):.2f}",
        })
    # Pages robots.txt disallows, linked from articles and the home page.
    hidden = []
    for prefix in DISALLOW:
        for _ in range(r.randint(1, 3)):
            hidden.append((f"{prefix}{'-'.join(words(r, 2).split())}.html", title(r)))
    hidden = sorted(set(hidden))
    # Old URLs answered 301, and links that lead nowhere (404).
    redirects = [(f"/archive/{r.randint(1000, 99999)}", r.choice(arts)["url"]) for _ in range(REDIRECTS)]
    broken = [f"/{r.choice(sections)}/{'-'.join(words(r, 3).split())}-gone.html" for _ in range(BROKEN)]
    extra = [(u, "from the archive") for u, _ in redirects] + [(u, "see also") for u in broken]
    extra += [(u, t) for u, t in hidden]

    for i, a in enumerate(arts):
        related = r.sample(arts, min(CROSS, len(arts)))
        links = [(o["url"], o["title"]) for o in related if o is not a]
        if extra and r.random() < 0.35:
            links.append(r.choice(extra))
        facts = f"<p class=\"meta\">{a['date']} by <span class=\"author\">{a['author']}</span></p>"
        if kind == "product":
            facts += f"<p class=\"price\">EUR {a['price']}</p><p class=\"sku\">SKU {r.randint(10000, 99999)}</p>"
        text = "\n".join(f"<p>{words(r, r.randint(20, 90)).capitalize()}.</p>" for _ in range(r.randint(1, 6)))
        tag_links = " ".join(f"<a rel=\"tag\" href=\"/tag/{t}.html\">{t}</a>" for t in a["tags"])
        body = (
            f"<article class=\"{kind}\">{facts}\n{text}\n<p class=\"tags\">{tag_links}</p></article>\n"
            f"<nav class=\"related\"><h2>Related</h2>\n{ul(links)}</nav>\n"
            f"<p><a href=\"/{a['sec']}/\">More in {a['sec']}</a></p>"
        )
        write(f"{root}{a['url']}", page(host, a["title"], body))

    # Listings: /<section>/ then page-2.html, page-3.html... (each deeper).
    for sec in sections:
        items = [a for a in arts if a["sec"] == sec]
        chunks = [items[k:k + PAGE_SIZE] for k in range(0, len(items), PAGE_SIZE)] or [[]]
        for n, chunk in enumerate(chunks, 1):
            body = ul([(a["url"], a["title"]) for a in chunk])
            if n < len(chunks):
                body += f"\n<p><a rel=\"next\" href=\"/{sec}/page-{n + 1}.html\">Older</a></p>"
            name = "index.html" if n == 1 else f"page-{n}.html"
            write(f"{root}/{sec}/{name}", page(host, f"{sec.capitalize()} (page {n})", body))
    for t in tags:
        tagged = [a for a in arts if t in a["tags"]]
        write(f"{root}/tag/{t}.html", page(host, f"Tagged {t}", ul([(a["url"], a["title"]) for a in tagged])))
    for url, t in hidden:
        write(f"{root}{url}", page(host, t, f"<p>Members only. {words(r, 30)}.</p>"))

    newest = sorted(arts, key=lambda a: a["date"], reverse=True)[:PAGE_SIZE]
    body = "<h2>Sections</h2>\n" + ul([(f"/{s}/", s.capitalize()) for s in sections])
    body += "\n<h2>Latest</h2>\n" + ul([(a["url"], a["title"]) for a in newest])
    body += "\n<h2>Tags</h2>\n<p>" + " ".join(f"<a href=\"/tag/{t}.html\">{t}</a>" for t in tags) + "</p>"
    body += "\n<p><a href=\"" + html.escape(hidden[0][0]) + "\">Sign in</a></p>" if hidden else ""
    if others:
        body += "\n<h2>Friends</h2>\n" + ul([(f"{SCHEME}://{o}/", o) for o in others])
    write(f"{root}/index.html", page(host, title(r), body, head_title=host))
    write(f"{root}/static/site.css", f"body {{ font-family: sans-serif; max-width: 50em; }} /* {host} */\n")

    robots = "User-agent: *\n" + "".join(f"Disallow: {p}\n" for p in DISALLOW)
    robots += f"\nSitemap: {SCHEME}://{host}/sitemap.xml\n"
    write(f"{root}/robots.txt", robots)
    maps = []
    for k, sec in enumerate(sections):
        urls = "".join(
            f"<url><loc>{SCHEME}://{host}{a['url']}</loc><lastmod>{a['date']}</lastmod></url>\n"
            for a in arts if a["sec"] == sec
        )
        xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
               f"<url><loc>{SCHEME}://{host}/{sec}/</loc></url>\n{urls}</urlset>\n")
        if k == len(sections) - 1:
            name = f"/sitemaps/{sec}.xml.gz"
            write(root + name, gzip.compress(xml.encode(), mtime=0))
        else:
            name = f"/sitemaps/{sec}.xml"
            write(root + name, xml)
        maps.append(name)
    index = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
             + "".join(f"<sitemap><loc>{SCHEME}://{host}{m}</loc></sitemap>\n" for m in maps)
             + "</sitemapindex>\n")
    write(f"{root}/sitemap.xml", index)
    print(f"make-site: {host}: {len(arts)} {kind}s in {len(sections)} sections ({' '.join(sections)}), "
          f"{len(tags)} tags, {len(hidden)} disallowed, {len(redirects)} redirects, {len(broken)} broken links")
    return redirects


def build_portal(host, others):
    r = rng_for(host)
    root = f"{ROOT}/{host}"
    ext = r.sample(EXTERNAL, r.randint(2, 5))
    links = [(f"{SCHEME}://{o}/", f"{o}: {title(r)}") for o in others]
    links += [(f"https://{e}/{'-'.join(words(r, 2).split())}", f"{e}") for e in ext]
    r.shuffle(links)
    body = "<p>The web directory.</p>\n" + ul(links)
    write(f"{root}/index.html", page(host, "Directory", body, head_title=host))
    robots = "User-agent: *\n" + "".join(f"Disallow: {p}\n" for p in DISALLOW)
    write(f"{root}/robots.txt", robots)
    write(f"{root}/static/site.css", "body { font-family: serif; }\n")
    print(f"make-site: {host}: directory of {len(others)} sites and {len(ext)} external links")
    return []


def main():
    os.makedirs(ROOT, exist_ok=True)
    conf = []
    for host in SITES:
        others = [o for o in SITES if o != host and not o.startswith("portal.")]
        if host.startswith("portal."):
            redirects = build_portal(host, others)
        else:
            redirects = build_site(host, others if any(s.startswith("portal.") for s in SITES) else [])
        rules = "".join(f"        location = {u} {{ return 301 {t}; }}\n" for u, t in redirects)
        conf.append(
            "    server {\n"
            "        listen 80;\n        listen 443 ssl;\n"
            f"        server_name {host};\n        root {ROOT}/{host};\n        index index.html;\n"
            f"{rules}"
            "        location / { try_files $uri $uri/ =404; }\n"
            "    }\n"
        )
    write("/etc/nginx/detgen-sites.conf", "".join(conf))


if __name__ == "__main__":
    main()
