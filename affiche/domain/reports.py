"""Reports to this instance's moderators, and their flow (a declared state graph).

Anyone may report a group, a profile, an event, a post or a comment: a local profile, a remote
actor (an inbound `Flag`), or a visitor with an email address when the instance allows anonymous
reports. Moderators (accounts with the "moderator" or "admin" role) read the queue, add notes,
and resolve or close each report; every decision goes on the audit log in the same commit.

    (none) --open--> open --resolve--> resolved      (action taken, or answered)
                        \\---close----> closed        (nothing to do)
"""

from __future__ import annotations

from dataclasses import dataclass

from affiche.domain import activities, audit, rules
from affiche.domain.accounts import instance_settings
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from affiche.domain.model import Account, Actor, Comment, Event, Post, Record, Report
from affiche.domain.ports import ChangeSet
from affiche.domain.state_graph import StateGraph

FLOW = StateGraph("report", {
    (None, "open"): "open",
    ("open", "resolve"): "resolved",
    ("open", "close"): "closed",
})
STATES = ("open", "resolved", "closed")
# Why something is reported. Mobilizon has no list: its report is a free comment, an optional
# forward, and the states open / resolved / closed (lib/mobilizon/reports/report.ex, 2025). So
# the list is Mastodon's report categories (Report#category), which moderators of the wider
# fediverse know: spam, illegal content, a breach of this instance's rules, something else.
# Like Mobilizon, the reason may be left out (then "other": the comment says why).
REASONS = ("spam", "legal", "violation", "other")
REASON_LABELS = {"spam": "Spam or advertising", "legal": "Illegal content",
                 "violation": "Breaks the rules of this instance", "other": "Something else"}
# Reasons of the earlier, longer list: accepted from old clients (mapped to today's), and
# reports stored with them still read with their own label.
FORMER_REASONS = {"illegal": "legal", "harassment": "violation", "hateful": "violation",
                  "violence": "violation", "sexual": "violation", "misinformation": "violation"}
FORMER_LABELS = {"illegal": "Illegal content", "harassment": "Harassment or bullying",
                 "hateful": "Hateful content", "violence": "Violence or threats",
                 "sexual": "Sexual content", "misinformation": "False information"}


def reason_label(reason: str) -> str:
    """What a stored report's reason reads as, today's or a former one."""
    return REASON_LABELS.get(reason) or FORMER_LABELS.get(reason) or reason
TARGETS: dict[str, type[Record]] = {"event": Event, "post": Post, "comment": Comment,
                                    "actor": Actor}
MODERATOR_ROLES = frozenset({"moderator", "admin"})
INSTANCE_SENDER = "~instance"  # the instance actor, as the actor of forwarded Flags
COMMENT_MAX = 2000
NOTE_MAX = 2000
RATE_ACTION = "report"
PAGE_SIZE = 30
PAGE_MAX = 200


def is_moderator(account: Account | None) -> bool:
    return account is not None and account.role in MODERATOR_ROLES


def require_moderator(account: Account) -> None:
    if not is_moderator(account):
        raise PermissionDenied("only a moderator or administrator of this instance can do this")


def reported_entity(ports: Ports, target_kind: str, target_key: str) -> Record:
    """The entity a report is about, hidden or not (moderators see it either way)."""
    rules.choice(target_kind, "target_kind", tuple(TARGETS))
    if not target_key or len(target_key) > 2000:
        raise InvalidInput("target must name what is reported", field="target")
    found = ports.repo.get(TARGETS[target_kind], target_key)
    if found is None:
        raise NotFound(f"no {target_kind} {target_key}")
    return found


def file_report(ports: Ports, reporter: Actor | None, *, target_kind: str, target_key: str,
                reason: str, comment: str = "", email: str | None = None,
                remote_activity_id: str | None = None) -> Report:
    """Open a report by a profile, a remote actor, or (when allowed) a visitor with an email."""
    if reporter is None:
        if not instance_settings(ports).anonymous_reports:
            raise PermissionDenied("log in to report: this instance takes no anonymous reports")
        email = rules.email(email or "")
    target = reported_entity(ports, target_kind, target_key)
    if target_kind == "event" and getattr(target, "draft", False):
        raise NotFound(f"no event {target_key}")  # a draft is nobody's to see but its group
    reason = (reason or "").strip() or "other"
    reason = rules.choice(FORMER_REASONS.get(reason, reason), "reason", REASONS)
    comment = rules.text(comment or "", "comment", max_length=COMMENT_MAX, required=False)
    # A flood of reports is abuse too: per profile or remote actor, per address for visitors.
    ports.limiter.hit(RATE_ACTION, reporter.name if reporter else f"email:{email}")
    now = ports.clock.now()
    report = Report(id=rules.new_id(), target_kind=target_kind, target_key=target_key,
                    reason=reason, comment=comment, reporter=reporter.name if reporter else "",
                    reporter_email=None if reporter else email, created_at=now, updated_at=now,
                    state=FLOW.step(None, "open") or "open",
                    remote_activity_id=remote_activity_id)
    changes = ChangeSet().put(report)
    # A private activity: nothing is published or federated; the change stream's mail rule
    # (affiche/notify) tells the moderators.
    changes.record(activities.new(ports, "Flag", report.reporter or "~visitor", report,
                                  report.id, audience="private"))
    ports.repo.commit(changes)
    return report


@dataclass(frozen=True)
class ReportPage:
    reports: list[Report]
    next_cursor: str | None


def listing(ports: Ports, moderator: Account, state: str = "open", *, before: str | None = None,
            limit: int = PAGE_SIZE) -> ReportPage:
    require_moderator(moderator)
    rules.choice(state, "state", STATES)
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput(f"limit must be between 1 and {PAGE_MAX}", field="limit")
    found = ports.repo.reports_in_state(state, limit=limit + 1, before=before)
    page = found[:limit]
    more = len(found) > limit and page
    return ReportPage(page, f"{page[-1].created_at.isoformat()}#{page[-1].id}" if more else None)


def existing_report(ports: Ports, moderator: Account, report_id: str) -> Report:
    require_moderator(moderator)
    report = ports.repo.get(Report, report_id) if report_id and len(report_id) <= 64 else None
    if report is None:
        raise NotFound(f"no report {report_id}")
    return report


def add_note(ports: Ports, moderator: Account, report_id: str, text: str) -> Report:
    report = existing_report(ports, moderator, report_id)
    text = rules.text(text, "note", max_length=NOTE_MAX)
    updated = report.evolve(notes=[*report.notes, {"by": moderator.default_profile or "",
                                                   "at": ports.clock.now().isoformat(),
                                                   "text": text}],
                            updated_at=ports.clock.now())
    ports.repo.commit(ChangeSet().put(updated, audit.record(
        ports, moderator, "report.note", "report", report.id, reason=text)))
    return updated


def decide(ports: Ports, moderator: Account, report_id: str, action: str,
           reason: str = "") -> Report:
    """Resolve or close an open report; on the audit log with the moderator's reason."""
    report = existing_report(ports, moderator, report_id)
    rules.choice(action, "action", ("resolve", "close"))
    state = FLOW.step(report.state, action) or report.state
    updated = report.evolve(state=state, updated_at=ports.clock.now())
    ports.repo.commit(ChangeSet().put(updated, audit.record(
        ports, moderator, f"report.{action}", "report", report.id, reason=reason)))
    return updated


def remote_party(ports: Ports, report: Report) -> tuple[Actor, list[str]] | None:
    """The remote actor responsible for the reported thing, and the ids to name in a Flag; None
    when the thing is ours (nobody else to tell)."""
    entity = reported_entity(ports, report.target_kind, report.target_key)
    if isinstance(entity, Actor):
        owner, objects = (entity.name, [entity.name]) if entity.is_remote else (None, [])
    elif isinstance(entity, Event):
        owner, objects = (entity.group, [entity.uuid]) if entity.is_remote else (None, [])
    elif isinstance(entity, Comment) and entity.ap_id:
        owner, objects = entity.author, [entity.author, entity.ap_id]
    else:
        owner, objects = None, []
    actor = ports.repo.get(Actor, owner) if owner else None
    return (actor, objects) if actor is not None and actor.delivery_inbox else None


def forward(ports: Ports, moderator: Account, report_id: str) -> Report:
    """Send the report to the server of the remote content, as a `Flag` from the instance actor
    (the reporter is never named), through the delivery queue; on the audit log."""
    report = existing_report(ports, moderator, report_id)
    party = remote_party(ports, report)
    if party is None:
        raise InvalidInput("this report is about content of this instance: there is no other "
                           "server to tell", field="report")
    actor, objects = party
    inbox = str(actor.delivery_inbox)
    if inbox in report.forwarded_to:
        raise Conflict("this report was already forwarded to that server")
    updated = report.evolve(forwarded_to=[*report.forwarded_to, inbox],
                            updated_at=ports.clock.now())
    changes = ChangeSet().put(updated, audit.record(ports, moderator, "report.forward", "report",
                                                    report.id, reason=inbox))
    flag = activities.new(ports, "Flag", INSTANCE_SENDER, updated, report.id,
                          audience="private", target=inbox)
    flag.object = {"objects": objects, "about": actor.name, "comment": report.comment}
    changes.record(flag)
    ports.repo.commit(changes)
    return updated
