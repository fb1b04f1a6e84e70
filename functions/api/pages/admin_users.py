"""Instance administrators' pages under /app/admin/: the dashboard, accounts, profiles and
groups (search, roles, suspension), instance settings and the federation policy. HTML faces of
the use cases the /api/mod routes call (functions/moderation/admin_routes.py)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import administration, dashboard, instance, instance_config
from affiche.domain.accounts import instance_settings
from affiche.domain.directory import account_view, find_accounts, find_actors
from affiche.domain.errors import InvalidInput
from functions.api.pages.common import Page, html, member

router = APIGatewayHttpRouter()


def _admin() -> Page:
    page = member(router)
    instance.require_admin(page.me)
    return page


def _page_number(page: Page) -> int:
    raw = page.query("page") or "1"
    if not raw.isdigit():
        raise InvalidInput("page must be a number", field="page")
    return int(raw)


@router.get("/app/admin/", include_in_schema=False)
@html(router)
def admin_dashboard() -> Response[str]:
    from affiche.activitypub.delivery_stats import delivery_counts

    page = _admin()
    return page.render("app/admin_dashboard.html",
                       counts={**dashboard.counts(page.ports), **delivery_counts()})


@router.get("/app/admin/accounts", include_in_schema=False)
@html(router)
def admin_accounts() -> Response[str]:
    page = _admin()
    q = page.query("q") or ""
    found = find_accounts(page.ports, q, _page_number(page))
    return page.render("app/admin_accounts.html", q=q, found=found,
                       accounts=[account_view(page.ports, a, detailed=True)
                                 for a in found.items])


@router.post("/app/admin/accounts/<account_id>/<action>", include_in_schema=False)
@html(router)
def admin_account_action(account_id: str, action: str) -> Response[str]:
    page = _admin()
    reason = page.form.get("reason")
    done = {
        "suspend": lambda: administration.suspend_account(page.ports, page.me, account_id,
                                                          reason),
        "restore": lambda: administration.restore_account(page.ports, page.me, account_id,
                                                          reason),
        "role": lambda: administration.change_role(page.ports, page.me, account_id,
                                                   page.form.get("role"), reason),
        "confirmation": lambda: administration.resend_confirmation(page.ports, page.me,
                                                                   account_id),
    }.get(action)
    if done is None:
        raise InvalidInput(f"unknown action {action}", field="action")
    done()
    return page.redirect("/app/admin/accounts", flash="Done.")


@router.get("/app/admin/groups", include_in_schema=False)
@html(router)
def admin_groups() -> Response[str]:
    return _actors("Group")


@router.get("/app/admin/profiles", include_in_schema=False)
@html(router)
def admin_profiles() -> Response[str]:
    return _actors("Person")


def _actors(type_: str) -> Response[str]:
    page = _admin()
    q = page.query("q") or ""
    found = find_actors(page.ports, type_, q, _page_number(page))
    return page.render("app/admin_actors.html", q=q, found=found, group=type_ == "Group")


@router.post("/app/admin/groups/<name>/<action>", include_in_schema=False)
@html(router)
def admin_group_action(name: str, action: str) -> Response[str]:
    return _actor_action("groups", name, action)


@router.post("/app/admin/profiles/<name>/<action>", include_in_schema=False)
@html(router)
def admin_profile_action(name: str, action: str) -> Response[str]:
    return _actor_action("profiles", name, action)


def _actor_action(kind: str, name: str, action: str) -> Response[str]:
    page = _admin()
    if action not in {"suspend", "restore"}:
        raise InvalidInput("unknown action: suspend or restore", field="action")
    administration.set_actor_suspended(page.ports, page.me, name, action == "suspend",
                                       group=kind == "groups", reason=page.form.get("reason"))
    return page.redirect(f"/app/admin/{kind}", flash=f"@{name}: {action} done.")


@router.get("/app/admin/settings", include_in_schema=False)
@html(router)
def admin_settings() -> Response[str]:
    page = _admin()
    values = instance_config.public_view(instance_settings(page.ports))
    return page.render("app/admin_settings.html", values=values)


@router.post("/app/admin/settings", include_in_schema=False)
@html(router)
def admin_settings_save() -> Response[str]:
    page = _admin()
    form = page.form
    fields = (*instance_config.LINES, *instance_config.TEXTS)
    values: dict[str, str | bool | None] = {name: form.get(name) for name in fields}
    # A choice left unset (no radio button sent) keeps its value.
    values.update({name: form.optional(name) for name in instance_config.CHOICES})
    values.update({flag: form.get(flag) == "1" for flag in instance_config.FLAGS})
    with page.errors_in("app/admin_settings.html", "settings"):
        instance_config.update(page.ports, page.me, values)
    return page.redirect("/app/admin/settings", flash="Settings saved.")


@router.get("/app/admin/domains", include_in_schema=False)
@html(router)
def admin_domains() -> Response[str]:
    from affiche.activitypub import blocklist

    page = _admin()
    return page.render("app/admin_domains.html", policy=blocklist.stored_policy())


@router.post("/app/admin/domains", include_in_schema=False)
@html(router)
def admin_domains_change() -> Response[str]:
    from affiche.activitypub import blocklist, domain_policy

    page = _admin()
    form = page.form
    with page.errors_in("app/admin_domains.html", "domains",
                        context=lambda: {"policy": blocklist.stored_policy()}):
        if form.get("mode"):
            domain_policy.set_mode(page.ports, page.me, form.get("mode"))
        elif form.get("remove"):
            domain_policy.remove(page.ports, page.me, form.get("list"), form.get("remove"))
        else:
            domain_policy.add(page.ports, page.me, form.get("list"), form.get("domain"),
                              form.get("reason"))
    return page.redirect("/app/admin/domains", flash="Federation policy saved.")
