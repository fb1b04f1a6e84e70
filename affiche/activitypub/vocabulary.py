"""ActivityStreams documents for our objects (to_ap). Ids are public URLs (configuration), so a
document fetched from its id has that same id (DESIGN.md §4).

Mastodon shows an Event as name + summary + link and drops the rest, so the human date, time and
place also go into `summary`; event-aware peers (Mobilizon, Gancio) read the full FEP-8a8e fields.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from affiche.domain.model import Activity, Actor, Event, Post
from affiche.domain.text import plain_text

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "mz": "https://joinmobilizon.org/ns#",
        "sc": "http://schema.org#",
        "toot": "http://joinmastodon.org/ns#",
        "ical": "http://www.w3.org/2002/12/cal/ical#",
        "Hashtag": "as:Hashtag",
        "PostalAddress": "sc:PostalAddress",
        "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
        "addressCountry": "sc:addressCountry",
        "addressLocality": "sc:addressLocality",
        "addressRegion": "sc:addressRegion",
        "postalCode": "sc:postalCode",
        "streetAddress": "sc:streetAddress",
        "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
        "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
        "isOnline": {"@id": "mz:isOnline", "@type": "sc:Boolean"},
        "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
        "participantCount": {"@id": "mz:participantCount", "@type": "sc:Integer"},
        "memberCount": {"@id": "mz:memberCount", "@type": "sc:Integer"},
        "openness": {"@id": "mz:openness", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "category": "sc:category",
        # Mobilizon's own terms (its JSON-LD header), so a JSON-LD processor keeps them.
        "pt": "https://joinpeertube.org/ns#",
        "members": {"@id": "mz:members", "@type": "@id"},
        "events": {"@id": "mz:events", "@type": "@id"},
        "posts": {"@id": "mz:posts", "@type": "@id"},
        "resources": {"@id": "mz:resources", "@type": "@id"},
        "discussions": {"@id": "mz:discussions", "@type": "@id"},
        "todos": {"@id": "mz:todos", "@type": "@id"},
        "commentsEnabled": {"@id": "pt:commentsEnabled", "@type": "sc:Boolean"},
        "anonymousParticipationEnabled": {"@id": "mz:anonymousParticipationEnabled",
                                          "@type": "sc:Boolean"},
        "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
        "status": {"@id": "ical:status", "@type": "xsd:string"},
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "uuid": "sc:identifier",
        "joinModeType": {"@id": "mz:joinModeType", "@type": "rdfs:Class"},
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "participationMessage": {"@id": "mz:participationMessage", "@type": "sc:Text"},
        "externalParticipationUrl": {"@id": "mz:externalParticipationUrl", "@type": "sc:URL"},
        "draft": {"@id": "mz:draft", "@type": "sc:Boolean"},
        "formerType": "as:formerType",
    },
]

#: Collections a group advertises, each a static JSON file that answers (renderer.actor).
#: members, resources, discussions and todos are members-only in affiche and no function
#: answers them to remote members' signed requests yet, so they are not advertised at all:
#: Mobilizon skips a collection a group does not name, while it would log an error per refresh
#: for one that answers 404 or 401.
GROUP_COLLECTIONS = ("events", "posts")


class Urls:
    """Every public URL, built from the configured public URL (never from request headers)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def actor(self, name: str) -> str:
        return f"{self.base}/@{name}/"

    def actor_path(self, name: str) -> str:
        return f"@{name}/"

    def event(self, uuid: str) -> str:
        return f"{self.base}/events/{uuid}/"

    def post(self, slug: str) -> str:
        return f"{self.base}/p/{slug}/"

    def activity(self, activity_id: str) -> str:
        return f"{self.base}/activities/{activity_id}"

    def media(self, key: str) -> str:
        return f"{self.base}/{key}"

    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def place(self, uuid: str) -> str:
        """A stable id for an event's place: Mobilizon keeps one address row per id, and makes
        a new row on every update of a Place that has none."""
        return f"{self.event(uuid)}#place"


def actor_document(urls: Urls, actor: Actor) -> dict[str, Any]:
    url = urls.actor(actor.name)
    base = url.rstrip("/")
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": url,
        "type": actor.type,
        "preferredUsername": actor.name,
        "name": actor.display_name,
        "summary": actor.summary_html,
        "url": url,
        "inbox": f"{base}/inbox",
        "outbox": f"{base}/outbox",
        "followers": f"{base}/followers",
        "following": f"{base}/following",
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "published": actor.created_at.isoformat(),
        "discoverable": actor.listed,
        "manuallyApprovesFollowers": False,
        "publicKey": {"id": f"{url}#main-key", "owner": url, "publicKeyPem": actor.public_key_pem},
    }
    if actor.is_group:
        for name in GROUP_COLLECTIONS:
            doc[name] = doc["endpoints"][name] = f"{base}/{name}"
        doc["openness"] = actor.openness
        doc["memberCount"] = actor.member_count
    if actor.avatar:
        doc["icon"] = {"type": "Image", "url": urls.media(actor.avatar)}
    if actor.banner:
        doc["image"] = {"type": "Image", "url": urls.media(actor.banner)}
    return doc


def human_when(event: Event) -> str:
    zone = ZoneInfo(event.timezone)
    begins, ends = event.begins_on.astimezone(zone), event.ends_on.astimezone(zone)
    start = begins.strftime("%A %d %B %Y, %H:%M")
    end = ends.strftime("%H:%M") if ends.date() == begins.date() else ends.strftime(
        "%A %d %B %Y, %H:%M")
    return f"{start} – {end} ({event.timezone})"


def event_summary(event: Event) -> str:
    """What Mastodon users see: date, time and place in plain words."""
    parts = [human_when(event)]
    if event.place:
        parts.append(event.place.one_line())
    if event.online_url:
        parts.append(f"Online: {event.online_url}")
    return " · ".join(parts)


def _addressing(urls: Urls, actor: str, audience: str) -> dict[str, list[str]]:
    followers = urls.actor(actor).rstrip("/") + "/followers"
    if audience == "public":
        return {"to": [PUBLIC], "cc": [followers]}
    if audience == "unlisted":
        return {"to": [followers], "cc": [PUBLIC]}
    return {"to": [urls.actor(actor).rstrip("/") + "/members"], "cc": []}


def event_object(urls: Urls, event: Event, audience: str = "public") -> dict[str, Any]:
    group_url = urls.actor(event.group)
    doc: dict[str, Any] = {
        "id": urls.event(event.uuid),
        "type": "Event",
        "uuid": event.uuid,  # Mobilizon keys its copy on it (sc:identifier)
        "name": event.title,
        "summary": event_summary(event),
        "content": event.description_html,
        "mediaType": "text/html",
        "url": urls.event(event.uuid),
        "startTime": event.begins_on.isoformat(),
        "endTime": event.ends_on.isoformat(),
        "timezone": event.timezone,
        "published": event.created_at.isoformat(),
        "updated": event.updated_at.isoformat(),
        "attributedTo": group_url,
        "actor": urls.actor(event.organizer),
        "joinMode": event.join_mode,
        "status": event.status.upper(),
        "ical:status": event.status.upper(),
        "isOnline": bool(event.online_url) and not event.place,
        "participantCount": event.participant_count,
        "commentsEnabled": event.comments_enabled,
        "anonymousParticipationEnabled": False,
        "tag": [{"type": "Hashtag", "name": f"#{t}", "href": f"{urls.base}/tags/{t}/"}
                for t in event.tags],
        "attachment": [],
        **_addressing(urls, event.group, audience),
    }
    if event.capacity is not None:
        doc["maximumAttendeeCapacity"] = event.capacity
        doc["remainingAttendeeCapacity"] = max(event.capacity - event.participant_count, 0)
    if event.online_url:
        # Mobilizon reads the online address from a Link attachment named "Website".
        doc["attachment"].append({"type": "Link", "name": "Website", "mediaType": "text/html",
                                  "href": event.online_url})
    place = event.place
    if place:
        doc["location"] = place_object(urls, event)
    _editor_fields(urls, event, doc)
    return doc


def _coordinate(value: object, limit: float) -> float | None:
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if -limit <= number <= limit else None


def place_object(urls: Urls, event: Event) -> dict[str, Any]:
    """The event's Place: a stable id, the postal address, and coordinates when known (the
    editor stores them in the address as "latitude" / "longitude")."""
    place = event.place
    assert place is not None
    doc: dict[str, Any] = {
        "id": urls.place(event.uuid),
        "type": "Place",
        "name": place.name or place.one_line(),
        "address": {"type": "PostalAddress", "streetAddress": place.street,
                    "addressLocality": place.locality, "postalCode": place.postal_code,
                    "addressRegion": place.region, "addressCountry": place.country},
    }
    raw = event.address or {}
    latitude = _coordinate(raw.get("latitude"), 90)
    longitude = _coordinate(raw.get("longitude"), 180)
    if latitude is not None and longitude is not None:
        doc["latitude"], doc["longitude"] = latitude, longitude
    return doc


def _editor_fields(urls: Urls, event: Event, doc: dict[str, Any]) -> None:
    """The organiser's editor fields, as Mobilizon writes them: `category` (the Place's
    coordinates are in `place_object`), the picture as a Document attachment named "Banner", and
    `externalParticipationUrl` when people register elsewhere."""
    if event.category:
        doc["category"] = event.category
    if event.picture:
        kind = "image/" + {"jpg": "jpeg"}.get(event.picture.rsplit(".", 1)[-1],
                                              event.picture.rsplit(".", 1)[-1])
        doc["attachment"].append({"type": "Document", "name": "Banner", "mediaType": kind,
                                  "url": urls.media(event.picture)})
    if event.join_mode == "external" and event.external_url:
        doc["externalParticipationUrl"] = event.external_url


def post_object(urls: Urls, post: Post, audience: str = "public") -> dict[str, Any]:
    return {
        "id": urls.post(post.slug),
        "type": "Article",
        "name": post.title,
        "content": post.body_html,
        "summary": plain_text(post.body_html)[:280],
        "mediaType": "text/html",
        "url": urls.post(post.slug),
        "published": post.published_at.isoformat(),
        "updated": post.updated_at.isoformat(),
        "attributedTo": urls.actor(post.group),
        "actor": urls.actor(post.author),
        **({"image": {"type": "Image", "url": urls.media(post.picture)}} if post.picture else {}),
        **_addressing(urls, post.group, audience),
    }


def with_context(doc: dict[str, Any]) -> dict[str, Any]:
    return {"@context": CONTEXT, **doc}


def activity_document(urls: Urls, activity: Activity, obj: dict[str, Any] | str) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "id": urls.activity(activity.id),
        "type": activity.type,
        "actor": urls.actor(activity.actor),
        "published": activity.published.isoformat(),
        "object": obj,
        **_addressing(urls, activity.actor, activity.audience),
    }
