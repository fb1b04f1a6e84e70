"""The site theme shared by static pages and the members' pages the functions render: the Jinja
environment over site/theme/templates (autoescape on), the navigation from content/, and what
every page knows about the instance. Light on imports: the API function loads it on every cold
start, and it needs none of the calendar or feed machinery of the renderer."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from affiche.activitypub import vocabulary as ap
from affiche.config import Settings
from affiche.domain.model import Event
from affiche.domain.text import text_of

if TYPE_CHECKING:
    import jinja2

ROOT = Path(__file__).resolve().parents[2]
THEME = ROOT / "site" / "theme" / "templates"
CONTENT = ROOT / "content"


def when(event: Event) -> str:
    return ap.human_when(event)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    import jinja2  # on first render: JSON API requests never need it

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(THEME),
        autoescape=True,  # every template; only sanitised *_html fields are marked |safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["plain"] = text_of  # autoescape escapes it once
    from affiche.publish.pictures import picture

    env.globals["picture"] = picture  # uploaded images with their variants (pictures.py)
    return env


@lru_cache(maxsize=1)
def content_pages() -> tuple[dict[str, str], ...]:
    """Title and slug of the host's Markdown pages in content/, for the navigation bar."""
    pages = []
    for path in sorted(CONTENT.glob("*.md")):
        meta = dict(re.findall(r"^(\w+):\s*(.+)$", path.read_text().split("\n\n", 1)[0], re.M))
        if "Title" in meta and meta.get("Status", "published") == "published":
            pages.append({"title": meta["Title"], "slug": meta.get("Slug", path.stem)})
    return tuple(pages)


def instance_info(settings: Settings) -> dict[str, Any]:
    """The `instance` variable of every template."""
    return {"name": settings.instance_name, "url": settings.public_url, "host": settings.host,
            "pages": content_pages()}
