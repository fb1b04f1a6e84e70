"""Posts: articles a group publishes (Mobilizon's group posts), by moderators and above."""

from __future__ import annotations

from affiche.domain import activities, rules
from affiche.domain.context import Ports
from affiche.domain.groups import existing_group, membership_of
from affiche.domain.model import Account, Post
from affiche.domain.ports import ChangeSet
from affiche.domain.profiles import acting_profile
from affiche.domain.roles import authorize
from affiche.domain.text import markdown_to_html, slugify

VISIBILITIES = ("public", "unlisted", "members")


def create_post(ports: Ports, account: Account, group_name: str, *, title: str, body: str,
                visibility: str = "public", profile: str | None = None) -> Post:
    group = existing_group(ports, group_name)
    author = acting_profile(ports, account, profile)
    authorize(membership_of(ports, group.name, author.name), "create_post")
    title = rules.line(title, "title", max_length=200)
    body = rules.text(body, "body", max_length=100000)
    # A slug is never reused, even after a delete (DESIGN.md §4: never reuse an object id).
    slug = f"{slugify(title)}-{rules.new_id()[:8]}"
    now = ports.clock.now()
    post = Post(slug=slug, group=group.name, author=author.name, title=title,
                body_html=markdown_to_html(body), body_source=body, published_at=now,
                updated_at=now, visibility=rules.choice(visibility, "visibility", VISIBILITIES))
    audience = "members" if post.visibility == "members" else (
        "public" if post.visibility == "public" and group.visibility == "public" else "unlisted")
    changes = ChangeSet().put(post)
    changes.counters["local_posts"] = 1
    changes.record(activities.new(ports, "Create", group.name, post, slug, audience=audience))
    ports.repo.commit(changes)
    return post
