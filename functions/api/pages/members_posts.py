"""The members' page of a post: how a members-only post is read (the group's members; anyone
else gets a 404, as for a private event). Public and unlisted posts have their static page."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import event_lifecycle, groups, roles
from affiche.domain.errors import NotFound
from affiche.domain.model import Post
from functions.api.pages.common import html, member

router = APIGatewayHttpRouter()


@router.get("/app/posts/<slug>/", include_in_schema=False)
@html(router)
def show_post(slug: str) -> Response[str]:
    page = member(router)
    post = page.ports.repo.get(Post, slug)
    if post is None or post.deleted:
        raise NotFound(f"no post {slug}")
    if not post.is_public:
        mine = event_lifecycle.best_membership(page.ports, page.me, post.group)
        if not roles.allowed(mine, "view_members_only_content"):
            raise NotFound(f"no post {slug}")
    group = groups.existing_group(page.ports, post.group)
    return page.render("app/post.html", post=post, group=group)
