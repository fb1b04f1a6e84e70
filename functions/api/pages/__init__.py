"""Members' pages under /app/ (and the dev-only pages under /dev/): HTML forms over the same
domain services as the JSON API. Every route is left out of the OpenAPI document."""

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.api.pages import (
    account,
    accounts,
    admin,
    dev,
    events,
    groups,
    home,
    joining,
    profiles,
)

ROUTERS: tuple[APIGatewayHttpRouter, ...] = (
    accounts.router, account.router, home.router, profiles.router, groups.router,
    joining.router, events.router, dev.router, admin.router,
)
