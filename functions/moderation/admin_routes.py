"""Instance administration under /api/mod: the dashboard, instance settings, accounts, profiles
and groups (list, search, roles, suspension), and the federation policy. Administrators only;
the same use cases as the pages of functions/api/pages/admin_users.py."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from affiche.domain import administration, dashboard, instance, instance_config
from affiche.domain.accounts import instance_settings
from affiche.domain.directory import account_view, actor_view, find_accounts, find_actors
from functions.api.routes.common import Input, caller, json_response

router = APIGatewayHttpRouter()


def _admin() -> tuple[Any, Any]:
    context, account, _ = caller(router)
    instance.require_admin(account)
    return context, account


class ReasonInput(Input):
    reason: str = Field(default="", max_length=2000)


class AccountRoleInput(Input):
    role: str = Field(max_length=20)
    reason: str = Field(default="", max_length=2000)


class DomainInput(Input):
    domain: str = Field(max_length=300)
    reason: str = Field(default="", max_length=2000)


class FederationModeInput(Input):
    federation_mode: str = Field(max_length=20)


class SettingsInput(Input):
    name: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    contact_email: str | None = Field(default=None, max_length=254)
    rules: str | None = Field(default=None, max_length=50000)
    terms: str | None = Field(default=None, max_length=50000)
    privacy: str | None = Field(default=None, max_length=50000)
    about: str | None = Field(default=None, max_length=50000)
    group_creation: str | None = Field(default=None, max_length=20)
    registration_mode: str | None = Field(default=None, max_length=20)
    anonymous_reports: bool | None = None
    anonymous_participation: bool | None = None


@router.get("/api/mod/dashboard")
def read_dashboard() -> Response[dict[str, Any]]:
    """Counts of accounts, groups, events, open reports, known instances, followers, and the
    delivery queue."""
    from affiche.activitypub.delivery_stats import delivery_counts

    context, _ = _admin()
    return json_response(200, {**dashboard.counts(context), **delivery_counts()})


@router.get("/api/mod/instance")
def read_instance() -> Response[dict[str, Any]]:
    from affiche.activitypub import blocklist

    context, _ = _admin()
    policy = blocklist.stored_policy()
    return json_response(200, {**instance_config.public_view(instance_settings(context)),
                               "federation_mode": policy.mode})


@router.patch("/api/mod/instance")
def write_instance(body: SettingsInput) -> Response[dict[str, Any]]:
    context, account = _admin()
    updated = instance_config.update(context, account, body.model_dump(exclude_none=True))
    return json_response(200, instance_config.public_view(updated))


@router.get("/api/mod/accounts")
def list_accounts(q: str = "", page: int = 1) -> Response[dict[str, Any]]:
    context, _ = _admin()
    found = find_accounts(context, q, page)
    return json_response(200, {"accounts": [account_view(context, a) for a in found.items],
                               "page": found.page, "pages": found.pages, "total": found.total})


@router.get("/api/mod/accounts/<account_id>")
def read_account(account_id: str) -> Response[dict[str, Any]]:
    context, _ = _admin()
    account = administration.existing_account(context, account_id)
    return json_response(200, account_view(context, account, detailed=True))


@router.put("/api/mod/accounts/<account_id>/role")
def put_role(account_id: str, body: AccountRoleInput) -> Response[dict[str, Any]]:
    context, account = _admin()
    updated = administration.change_role(context, account, account_id, body.role, body.reason)
    return json_response(200, account_view(context, updated))


@router.post("/api/mod/accounts/<account_id>/suspend")
def suspend_account(account_id: str, body: ReasonInput) -> Response[dict[str, Any]]:
    context, account = _admin()
    updated = administration.suspend_account(context, account, account_id, body.reason)
    return json_response(200, account_view(context, updated))


@router.post("/api/mod/accounts/<account_id>/restore")
def restore_account(account_id: str, body: ReasonInput) -> Response[dict[str, Any]]:
    context, account = _admin()
    updated = administration.restore_account(context, account, account_id, body.reason)
    return json_response(200, account_view(context, updated))


@router.post("/api/mod/accounts/<account_id>/confirmation", status_code=202)
def resend_confirmation(account_id: str) -> Response[dict[str, Any]]:
    context, account = _admin()
    administration.resend_confirmation(context, account, account_id)
    return json_response(202, {"sent": True})


@router.get("/api/mod/profiles")
def list_profiles(q: str = "", page: int = 1) -> Response[dict[str, Any]]:
    context, _ = _admin()
    found = find_actors(context, "Person", q, page)
    return json_response(200, {"profiles": [actor_view(a) for a in found.items],
                               "page": found.page, "pages": found.pages, "total": found.total})


@router.get("/api/mod/groups")
def list_groups(q: str = "", page: int = 1) -> Response[dict[str, Any]]:
    context, _ = _admin()
    found = find_actors(context, "Group", q, page)
    return json_response(200, {"groups": [actor_view(a) for a in found.items],
                               "page": found.page, "pages": found.pages, "total": found.total})


def _actor_action(name: str, body: ReasonInput, *, group: bool,
                  suspended: bool) -> Response[dict[str, Any]]:
    context, account = _admin()
    actor = administration.set_actor_suspended(context, account, name, suspended, group=group,
                                               reason=body.reason)
    return json_response(200, actor_view(actor))


@router.post("/api/mod/profiles/<name>/suspend")
def suspend_profile(name: str, body: ReasonInput) -> Response[dict[str, Any]]:
    return _actor_action(name, body, group=False, suspended=True)


@router.post("/api/mod/profiles/<name>/restore")
def restore_profile(name: str, body: ReasonInput) -> Response[dict[str, Any]]:
    return _actor_action(name, body, group=False, suspended=False)


@router.post("/api/mod/groups/<name>/suspend")
def suspend_group(name: str, body: ReasonInput) -> Response[dict[str, Any]]:
    return _actor_action(name, body, group=True, suspended=True)


@router.post("/api/mod/groups/<name>/restore")
def restore_group(name: str, body: ReasonInput) -> Response[dict[str, Any]]:
    return _actor_action(name, body, group=True, suspended=False)


@router.get("/api/mod/domains")
def read_domains() -> Response[dict[str, Any]]:
    from affiche.activitypub import blocklist

    _admin()
    policy = blocklist.stored_policy()
    return json_response(200, {k: sorted(v) for k, v in (
        ("blocked", policy.blocked), ("silenced", policy.silenced),
        ("allowed", policy.allowed))} | {"federation_mode": policy.mode})


@router.post("/api/mod/domains/<which>")
def add_domain(which: str, body: DomainInput) -> Response[dict[str, Any]]:
    from affiche.activitypub import domain_policy

    context, account = _admin()
    purged = domain_policy.add(context, account, which, body.domain, body.reason)
    return json_response(200, {"domain": domain_policy.domain_name(body.domain), "list": which,
                               "purged": {"actors": purged.actors,
                                          "comments": purged.comments,
                                          "events": purged.events}})


@router.delete("/api/mod/domains/<which>/<domain>")
def remove_domain(which: str, domain: str) -> Response[dict[str, Any]]:
    from affiche.activitypub import domain_policy

    context, account = _admin()
    domain_policy.remove(context, account, which, domain)
    return json_response(200, {"domain": domain, "list": which, "removed": True})


@router.put("/api/mod/federation-mode")
def put_federation_mode(body: FederationModeInput) -> Response[dict[str, Any]]:
    from affiche.activitypub import domain_policy

    context, account = _admin()
    policy = domain_policy.set_mode(context, account, body.federation_mode)
    return json_response(200, {"federation_mode": policy.mode})
