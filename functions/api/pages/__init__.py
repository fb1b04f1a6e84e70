"""Members' pages under /app/ (and the dev-only pages under /dev/): HTML forms over the same
domain services as the JSON API. Every route is left out of the OpenAPI document."""

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.api.pages import (
    account,
    accounts,
    admin,
    admin_users,
    dev,
    event_editor,
    events,
    groups,
    home,
    joining,
    members_posts,
    profiles,
)
from functions.api.pages import comments as comment_pages
from functions.api.pages import discussions as discussion_pages
from functions.api.pages import following as following_pages
from functions.api.pages import moderation as moderation_pages
from functions.api.pages import participation as participation_pages
from functions.api.pages import remote_events as remote_event_pages
from functions.api.pages import resources as resource_pages

ROUTERS: tuple[APIGatewayHttpRouter, ...] = (
    accounts.router, account.router, home.router, profiles.router, groups.router,
    joining.router, events.router, dev.router, following_pages.router,
    participation_pages.router, event_editor.router, members_posts.router, admin.router,
)
ROUTERS += (comment_pages.router,)
ROUTERS += (discussion_pages.router,)
ROUTERS += (resource_pages.router,)
ROUTERS += (moderation_pages.router,)
ROUTERS += (remote_event_pages.router,)
ROUTERS += (admin_users.router,)
from functions.api.pages import remote_groups as remote_group_pages  # noqa: E402

ROUTERS += (remote_group_pages.router,)
