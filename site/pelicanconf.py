"""Pelican settings for affiche's full build (DESIGN.md §5), read by affiche/build.py.

Pelican contributes only two things: the host's Markdown pages in content/ (about, rules...) and
the theme's static files. Everything from the store (home page, events, groups, posts, feeds,
ActivityPub JSON, NodeInfo) is written by the `affiche_store` plugin through the same Renderer the
outbox function uses, so a full build and an incremental update write the same bytes.

Every Pelican output that would compete with the renderer (blog index, articles, tag, category,
author and archive pages, feeds) is switched off here, and nothing depends on the clock, the
file system's timestamps or the machine's locale: two builds of the same store are byte-identical.
This file is executed on every build (pelican.settings.read_settings), never at import.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from affiche.config import get_settings

HERE = Path(__file__).resolve().parent
_affiche = get_settings()

# --- where things are ----------------------------------------------------------------------------
SITENAME = _affiche.instance_name
# Absolute URLs from the same setting the renderer and the ActivityPub ids use.
SITEURL = _affiche.public_url
RELATIVE_URLS = False
PATH = str(HERE.parent / "content")
OUTPUT_PATH = str(HERE.parent / "output")  # affiche/build.py always overrides it
# The whole output folder is ours: stale files from an older build must not survive.
DELETE_OUTPUT_DIRECTORY = True
OUTPUT_RETENTION: list[str] = []

THEME = str(HERE / "theme")
THEME_STATIC_DIR = "theme"  # base.html links /theme/css/site.css
THEME_STATIC_PATHS = ["static"]
# Media the host's pages embed (content/images/logo.png -> /images/logo.png). Uploaded images
# live under media/ in the bucket and are never part of a build.
STATIC_PATHS = ["images", "files"]
STATIC_EXCLUDES: list[str] = []
# Copy, never hard-link or symlink into content/: the output folder is uploaded as plain files.
STATIC_CREATE_LINKS = False
STATIC_CHECK_IF_MODIFIED = False

PLUGIN_PATHS = [str(HERE / "plugins")]
PLUGINS = ["affiche_store"]

# --- content: pages only ----------------------------------------------------------------------
# Every Markdown file at the top of content/ is a page of the host, not a blog article.
PAGE_PATHS = [""]
PAGE_EXCLUDES = ["images", "files"]
ARTICLE_PATHS: list[str] = []
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
PAGE_LANG_URL = "{slug}-{lang}/"
PAGE_LANG_SAVE_AS = "{slug}-{lang}/index.html"
PAGE_ORDER_BY = "basename"
# A page marked `Status: draft` must never reach the public bucket.
DRAFT_PAGE_URL = ""
DRAFT_PAGE_SAVE_AS = ""
DRAFT_PAGE_LANG_URL = ""
DRAFT_PAGE_LANG_SAVE_AS = ""
DEFAULT_LANG = "en"

# --- nothing of Pelican's blog machinery -------------------------------------------------------
# The home page, /events/ and /tags/{tag}/ come from the renderer (artifacts.everything).
DIRECT_TEMPLATES: list[str] = []
PAGINATED_TEMPLATES: dict[str, int | None] = {}
DEFAULT_PAGINATION = False
INDEX_SAVE_AS = ""
ARTICLE_URL = ""
ARTICLE_SAVE_AS = ""
ARTICLE_LANG_URL = ""
ARTICLE_LANG_SAVE_AS = ""
DRAFT_URL = ""
DRAFT_SAVE_AS = ""
DRAFT_LANG_URL = ""
DRAFT_LANG_SAVE_AS = ""
AUTHOR_URL = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
CATEGORY_URL = ""
CATEGORY_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
TAG_URL = ""
TAG_SAVE_AS = ""
TAGS_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = ""
MONTH_ARCHIVE_SAVE_AS = ""
DAY_ARCHIVE_SAVE_AS = ""
# Pelican's default patterns name page 2 of tag "tag2" like page 1 of tag "tag22" (DESIGN.md §5).
# Nothing is paginated any more, but should that change, each page gets its own folder.
PAGINATION_PATTERNS = [
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
]

# The instance feeds (/feed.atom, /feed.ics, /@group/feed.*) are the renderer's.
FEED_ATOM = None
FEED_RSS = None
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
CATEGORY_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TAG_FEED_ATOM = None
TAG_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None

# --- byte-identical builds -------------------------------------------------------------------
TIMEZONE = "UTC"
# Pages carry no date; a fixed default keeps Pelican from reading file modification times.
DEFAULT_DATE = (2000, 1, 1)
# Pelican calls setlocale(LC_ALL, ...) with this: the machine's locale would otherwise translate
# the month and day names the renderer formats with strftime, and the full build would differ
# from what the outbox function (C locale in Lambda) writes.
LOCALE = ["C.UTF-8", "C.utf8", "en_US.UTF-8"]
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
OUTPUT_SOURCES = False
TYPOGRIFY = False
# Without a `Slug:` line a page is named after its file, as the navigation bar names it
# (theme.content_pages), rather than after its title.
SLUGIFY_SOURCE = "basename"
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.toc": {},
    },
    "output_format": "html5",
}

# --- templates ---------------------------------------------------------------------------------
# Our theme, escaped like the renderer's environment (affiche/publish/renderer.py): autoescape on
# everywhere (Pelican's default is off), StrictUndefined so a typo fails the build instead of
# publishing an empty string. `instance`, `noindex` and the theme's filters are added by the
# plugin on generator_init, from the same code the renderer uses.
JINJA_ENVIRONMENT = {
    "autoescape": True,
    "undefined": jinja2.StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "extensions": [],
}
TEMPLATE_PAGES: dict[str, str] = {}
