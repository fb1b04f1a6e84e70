"""First start of a local instance: the admin account and a demo group with real content."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from affiche.domain import accounts, events, groups, posts, rules
from affiche.domain.context import Ports
from affiche.domain.model import Account

DEMO_ZONE = "Europe/Paris"


def create_admin(ports: Ports, email: str = "admin@affiche.local") -> tuple[Account, str]:
    """A confirmed administrator with a random password, returned once to be printed."""
    password = rules.new_secret()[:20]
    account = accounts.signup(ports, email=email, password=password, username="admin",
                              display_name="Administrator", confirmed=True, role="admin")
    assert account is not None, f"{email} already has an account"
    return account, password


def create_demo(ports: Ports, admin: Account) -> None:
    """The `demo` group: three upcoming public events (online, at an address, with a capacity)
    and one public post, all made through the domain services like any user's content."""
    groups.create_group(ports, admin, name="demo", display_name="Demo collective",
                        summary="A group to show what **affiche** publishes: events, posts, "
                                "and a page that costs almost nothing to host.",
                        visibility="public", openness="open")
    zone = ZoneInfo(DEMO_ZONE)
    day = (ports.clock.now().astimezone(zone) + timedelta(days=7)).replace(
        hour=18, minute=30, second=0, microsecond=0)

    def at(days: int, hours: float) -> str:
        return (day + timedelta(days=days, hours=hours)).replace(tzinfo=None).isoformat()

    events.create_event(ports, admin, "demo", events.EventInput(
        title="Online meet-up: getting started", begins_on=at(0, 0), ends_on=at(0, 1.5),
        timezone=DEMO_ZONE, online_url="https://meet.example.org/affiche-demo",
        description="We meet online to show how the group **works**.", tags=["meetup", "online"]))
    events.create_event(ports, admin, "demo", events.EventInput(
        title="Picnic in the park", begins_on=at(6, -6), ends_on=at(6, -2), timezone=DEMO_ZONE,
        address={"name": "Parc des Buttes-Chaumont", "street": "1 rue Botzaris",
                 "locality": "Paris", "postal_code": "75019", "country": "France"},
        description="Bring something to share.", tags=["outdoors"]))
    events.create_event(ports, admin, "demo", events.EventInput(
        title="Repair café (20 places)", begins_on=at(13, -4), ends_on=at(13, -1),
        timezone=DEMO_ZONE, capacity=20,
        address={"name": "Maison des associations", "street": "5 rue Perrée",
                 "locality": "Paris", "postal_code": "75003", "country": "France"},
        description="Bring a broken thing; leave with a working one.", tags=["repair"]))
    posts.create_post(ports, admin, "demo", title="Welcome to the demo collective",
                      body="This post is a **public post** of the demo group.\n\n"
                           "Members can publish events and posts; visitors read static pages.")
