"""Scrapy settings for the nianbao crawl. Polite by default; every value can be overridden with -s.

Why these defaults: county portals are small servers run by small offices, often behind WAFs that
ban bursty clients (portals.md §6-7). One identified, throttled, robots-obeying crawler that never
asks twice for an unchanged page is both courteous and what keeps us from being blocked.
"""

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = (
    "nianbao/0.1 (research crawler for 政府信息公开工作年度报告; +https://github.com/nianbao/nianbao; "
    "contact: https://github.com/nianbao/nianbao/issues)"
)
ROBOTSTXT_OBEY = True

# --- politeness ------------------------------------------------------------------------------------
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # Scrapy's download slots are per host name (an IP counts as a host)
# Items/requests of one response handled concurrently. Scrapy's default (100) starts 100 asyncio tasks
# per response; our pipeline is synchronous (one archive transaction per item), so they only cost CPU:
# about a fifth of the crawl process's non-parse CPU in a profile (BENCHMARKS.md).
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # +-50 % around DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
DNS_TIMEOUT = 20

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 429]
NIANBAO_RETRY_AFTER_MAX = 120.0  # seconds; a Retry-After longer than this is cut to it

REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = True
DEPTH_LIMIT = 0  # the spider keeps its own navigation depth (pager hops do not count)
REFERER_ENABLED = True
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19's control server: a listening port an unattended crawl does not need
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
# Breadth-first keeps the scheduler queue (and memory) small on portals with deep list chains.
DEPTH_PRIORITY = 0
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.HostPageCapMiddleware": 120,  # after robots.txt (100): denied pages do not count
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    "crawler.middlewares.ConditionalRequestMiddleware": 560,
}
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
EXTENSIONS = {"crawler.middlewares.ProgressExtension": 500}

# --- nianbao ---------------------------------------------------------------------------------------
NIANBAO_DB = None  # archive URL/path; None -> $NIANBAO_DB -> ./nianbao.db
NIANBAO_ARCHIVE = True  # False: follow links only, write nothing (benchmark baseline)
NIANBAO_HOST_PAGE_CAP = 5000  # requests per host per run
NIANBAO_NAV_DEPTH = 4  # hops from a start URL while looking for the 年报 column
NIANBAO_MAX_DEPTH = 8  # hops inside a 年报 column (pager hops are free)
NIANBAO_QUERY_VARIANTS_CAP = 300  # distinct query strings per (host, path, parameter names)
NIANBAO_TRAP_VARIANTS_CAP = 20  # the same for calendar-like URLs (?date=2024-01-01 ...)
NIANBAO_MAX_ATTACHMENTS = 8  # attachment files fetched per report page
NIANBAO_CONDITIONAL = True  # conditional re-requests from archived validators
NIANBAO_PROGRESS = "auto"  # auto | always | never
NIANBAO_PARSE_WORKERS = "auto"  # parse worker processes; auto: 1 when unthrottled on a multi-core machine (crawler.workers)
NIANBAO_ARCHIVE_WRITER = "auto"  # archive writes in their own process; auto: the same rule
