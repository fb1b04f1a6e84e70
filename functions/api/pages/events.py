"""Event pages of the members' space. Taking part (the page the public event page links to,
/app/events/<uuid>/participate) lives in functions/api/pages/participation.py."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

router = APIGatewayHttpRouter()
