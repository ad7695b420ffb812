#!/usr/bin/env python3
"""crawl.py - the crawler of the `scrapy` scenario (Scrapy 2.8, Debian's).

A Scrapy spider, run in-process with CrawlerProcess, whose every setting
comes from the environment (drawn by detgen per run):

  CRAWL_MODE      crawl: a CrawlSpider that follows every link of the
                  allowed sites from START_URLS (depth-first as Scrapy
                  schedules it); sitemap: a SitemapSpider that reads
                  robots.txt, the sitemap index and the sitemaps (one of
                  them gzipped) and scrapes the pages they list
  START_URLS      where the crawl begins (space separated)
  ALLOWED         the allowed domains (space separated); links to any other
                  host - other sites of the scenario or *.example sites
                  outside it - are dropped by Scrapy's off-site filter
                  before any request or name lookup
  USER_AGENT      the User-Agent ("default": Scrapy's own)
  OBEY_ROBOTS     yes/no: ROBOTSTXT_OBEY (fetch each site's robots.txt
                  first and skip what it disallows)
  DISALLOW        the prefixes the sites' robots.txt disallows (to check)
  DEPTH_LIMIT     links followed from a start URL at most (0: no limit)
  PAGE_LIMIT      CLOSESPIDER_PAGECOUNT: the crawl stops after that many
                  responses (0: no limit)
  CONCURRENCY     CONCURRENT_REQUESTS and CONCURRENT_REQUESTS_PER_DOMAIN
  DOWNLOAD_DELAY  seconds between two requests to a site (Scrapy randomises
                  each wait to 0.5-1.5 times this)
  AUTOTHROTTLE    yes/no: adapt the delay to the server's latency
  TLS_METHOD      DOWNLOADER_CLIENT_TLS_METHOD (TLS or TLSv1.2) for https
  COMPRESSION     yes/no: ask for gzip/deflate (HttpCompressionMiddleware)
  DEPTH_PRIORITY  0: Scrapy's default order (depth first), 1: breadth first

The scraped items (URL, title, kind, date, author, price) are written as
JSON lines to /tmp/items.jl and counted. Exit 0 when the crawl played out
as designed: it finished (or hit its page limit or its 40-second budget),
fetched pages and scraped items, saw no download error, fetched
robots.txt exactly when it obeys it and then nothing robots.txt
disallows, and stayed on the allowed hosts; exit 1 otherwise.
"""
import json
import os
import sys
from urllib.parse import urlsplit

import scrapy
import scrapy.downloadermiddlewares.cookies as cookies_mw
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule, SitemapSpider
from tldextract import TLDExtract

# Debian's tldextract would download the public suffix list on first use:
# the cookie middleware's copy uses the snapshot it ships instead, so the
# crawler never looks beyond the scenario.
cookies_mw._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


def env(name, default=None):
    v = os.environ.get(name, default)
    if v is None:
        sys.exit(f"crawl: {name} must be set")
    return v


MODE = env("CRAWL_MODE", "crawl")
START = env("START_URLS").split()
ALLOWED = env("ALLOWED").split()
UA = env("USER_AGENT", "default")
OBEY = env("OBEY_ROBOTS", "yes") == "yes"
DISALLOW = env("DISALLOW", "").split()
ITEMS = "/tmp/items.jl"

seen = []  # (status, url) of every response


def item_of(response, kind_default="page"):
    sel = response.css
    kind = sel("article::attr(class)").get() or kind_default
    return {
        "url": response.url,
        "status": response.status,
        "title": sel("title::text").get(),
        "h1": sel("h1::text").get(),
        "kind": kind,
        "date": sel("p.meta::text").re_first(r"\d{4}-\d{2}-\d{2}"),
        "author": sel("span.author::text").get(),
        "price": sel("p.price::text").re_first(r"[\d.]+"),
        "links": len(sel("a::attr(href)").getall()),
    }


class SiteCrawler(CrawlSpider):
    name = "site-crawler"
    allowed_domains = ALLOWED
    start_urls = START
    rules = (
        # Every link is extracted; the off-site middleware drops those to
        # hosts outside ALLOWED (counted as offsite/filtered).
        Rule(LinkExtractor(), callback="parse_page", follow=True),
    )

    def parse_start_url(self, response):
        yield item_of(response, "home")

    def parse_page(self, response):
        yield item_of(response)


class SitemapCrawler(SitemapSpider):
    name = "sitemap-crawler"
    allowed_domains = ALLOWED
    sitemap_urls = START  # the sites' robots.txt, which name their sitemaps

    def parse(self, response):
        yield item_of(response)


def main():
    settings = {
        "BOT_NAME": "detgen-crawler",
        "ROBOTSTXT_OBEY": OBEY,
        "DEPTH_LIMIT": int(env("DEPTH_LIMIT", "0")),
        "CLOSESPIDER_PAGECOUNT": int(env("PAGE_LIMIT", "0")),
        # The crawl's time budget: the designed crawls stay well inside it
        # on an idle host; on a busy one the crawl stops there, inside the
        # scenario's duration, with what it has.
        "CLOSESPIDER_TIMEOUT": 40,
        "CONCURRENT_REQUESTS": int(env("CONCURRENCY", "8")),
        "CONCURRENT_REQUESTS_PER_DOMAIN": int(env("CONCURRENCY", "8")),
        "DOWNLOAD_DELAY": float(env("DOWNLOAD_DELAY", "0")),
        "RANDOMIZE_DOWNLOAD_DELAY": True,
        "AUTOTHROTTLE_ENABLED": env("AUTOTHROTTLE", "no") == "yes",
        "AUTOTHROTTLE_START_DELAY": max(0.05, float(env("DOWNLOAD_DELAY", "0"))),
        "AUTOTHROTTLE_MAX_DELAY": 1.0,
        "DOWNLOADER_CLIENT_TLS_METHOD": env("TLS_METHOD", "TLS"),
        "COMPRESSION_ENABLED": env("COMPRESSION", "yes") == "yes",
        "DEPTH_PRIORITY": int(env("DEPTH_PRIORITY", "0")),
        "DOWNLOAD_TIMEOUT": 20,
        "RETRY_TIMES": 1,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "FEEDS": {ITEMS: {"format": "jsonlines", "overwrite": True}},
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
    if int(env("DEPTH_PRIORITY", "0")):
        settings["SCHEDULER_DISK_QUEUE"] = "scrapy.squeues.PickleFifoDiskQueue"
        settings["SCHEDULER_MEMORY_QUEUE"] = "scrapy.squeues.FifoMemoryQueue"
    if UA != "default":
        settings["USER_AGENT"] = UA
    spider = SitemapCrawler if MODE == "sitemap" else SiteCrawler
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider)

    def on_response(response, request, spider):
        seen.append((response.status, response.url))

    crawler.signals.connect(on_response, signal=signals.response_received)
    process.crawl(crawler)
    process.start()

    stats = crawler.stats.get_stats()
    print("crawl: stats " + json.dumps({k: v for k, v in stats.items() if not hasattr(v, "isoformat")},
                                         sort_keys=True))
    for status, url in seen:
        print(f"crawl: {status} {url}")
    items = []
    if os.path.exists(ITEMS):
        with open(ITEMS) as f:
            items = [json.loads(line) for line in f if line.strip()]

    problems = []
    reason = stats.get("finish_reason")
    if reason not in ("finished", "closespider_pagecount", "closespider_timeout"):
        problems.append(f"finish reason {reason}")
    pages = [u for s, u in seen if s == 200 and not u.endswith(("/robots.txt", ".xml", ".xml.gz"))]
    if len(pages) < 2:
        problems.append(f"only {len(pages)} pages fetched")
    if not items:
        problems.append("no item scraped")
    # Requests robots.txt forbids are "ignored" exceptions; any other is an
    # error (refused connections, timeouts, TLS failures).
    errors = stats.get("downloader/exception_count", 0) - stats.get(
        "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest", 0)
    if errors:
        problems.append(f"{errors} download errors")
    if stats.get("log_count/ERROR"):
        problems.append(f"{stats['log_count/ERROR']} errors logged")
    robots = [u for _, u in seen if urlsplit(u).path == "/robots.txt"]
    if OBEY or MODE == "sitemap":
        if not robots:
            problems.append("robots.txt was not fetched")
    elif robots:
        problems.append("robots.txt was fetched although the crawler ignores it")
    if OBEY:
        bad = [u for _, u in seen if any(urlsplit(u).path.startswith(p) for p in DISALLOW)]
        if bad:
            problems.append(f"fetched disallowed pages {bad}")
    hosts = {urlsplit(u).hostname for _, u in seen}
    if not hosts <= set(ALLOWED):
        problems.append(f"left the allowed sites: {sorted(hosts - set(ALLOWED))}")
    codes = sorted({s for s, _ in seen})
    print(f"crawl: {MODE} of {' '.join(START)}: {len(seen)} responses (statuses {codes}), "
          f"{len(pages)} pages, {len(items)} items, hosts {sorted(hosts)}, "
          f"offsite filtered {stats.get('offsite/filtered', 0)}, "
          f"robots.txt forbidden {stats.get('robotstxt/forbidden', 0)}, finish reason {reason}")
    if problems:
        print("crawl: FAILED: " + "; ".join(problems), file=sys.stderr)
        sys.exit(1)
    print("crawl: done")


if __name__ == "__main__":
    main()
