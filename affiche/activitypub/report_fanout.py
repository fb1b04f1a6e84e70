"""Fan-out of forwarded reports: a moderator's forwarding (affiche.domain.reports.forward) sends
a `Flag` from the instance actor (sender "", signed with its key) to the remote server's inbox.
The reporter is never named, as Mastodon and Mobilizon do; the object lists the remote account
and content concerned."""

from __future__ import annotations

from affiche.activitypub import instance_actor
from affiche.activitypub import vocabulary as ap
from affiche.activitypub.fanout import Delivery, register_planner
from affiche.domain.model import Activity
from affiche.domain.ports import Repository
from affiche.domain.reports import INSTANCE_SENDER


@register_planner("report")
def _forwarded(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    if activity.type != "Flag" or activity.actor != INSTANCE_SENDER or not activity.target:
        return []  # a new report: mail for the moderators, nothing to federate
    about = str(activity.object.get("about", ""))
    doc = {"@context": ap.CONTEXT, "id": urls.activity(activity.id), "type": "Flag",
           "actor": instance_actor.actor_id(urls.base),
           "object": list(activity.object.get("objects", [])),
           "content": str(activity.object.get("comment", "")), "to": [about] if about else [],
           "published": activity.published.isoformat()}
    return [Delivery(doc, "", (activity.target,))]
