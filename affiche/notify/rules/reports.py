"""A new report tells every moderator and administrator of the instance (who may switch it off:
preference "new_report"). The reporter's address is never put in the mail."""

from __future__ import annotations

from typing import Any

from affiche.domain.model import Account, Activity, Report
from affiche.domain.reports import INSTANCE_SENDER, MODERATOR_ROLES
from affiche.notify import Mail, rule


def moderators(repo: Any) -> list[Account]:
    # One query per role (store/keys.py lists accounts by instance role): bounded by the number
    # of moderators and administrators, never by the number of accounts.
    found: list[Account] = [a for role in sorted(MODERATOR_ROLES)
                            for a in repo.accounts_with_role(role)]
    return [a for a in found if a.role in MODERATOR_ROLES and a.default_profile]


@rule("Flag", "report")
def new_report(activity: Activity, repo: Any) -> list[Mail]:
    if activity.actor == INSTANCE_SENDER:
        return []  # a moderator forwarding it to another server: they know
    report = Report.from_dict(activity.object)
    context = {"report_id": report.id, "target_kind": report.target_kind,
               "target_key": report.target_key, "reason": report.reason,
               "comment": report.comment[:1000],
               "reporter": report.reporter or "A visitor"}
    return [Mail("report_new", {**context, "name": a.default_profile},
                 recipient=a.default_profile, preference="new_report")
            for a in moderators(repo)]
