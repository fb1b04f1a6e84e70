"""The first administrator of a deployed instance (`affiche admin create`, or a one-off invocation
of the moderation function): nobody can sign up as an administrator through the web.

The password is made here and returned once, to whoever ran the command or invoked the function
(an IAM principal of the account: no web route reaches this); it is never logged or mailed.
"""

from __future__ import annotations

from dataclasses import replace

from affiche import demo
from affiche.domain import rules
from affiche.domain.context import NoMail
from affiche.domain.errors import Conflict


class AdminExists(Conflict):
    """The address already has an account: nothing was changed."""


def create_first_admin(email: str) -> tuple[str, str]:
    """(email, password) of a new confirmed administrator; raises if the address is taken."""
    from affiche.web.ports import ports

    context = ports()
    email = rules.email(email)  # a malformed address is refused with the reason
    if context.repo.claim_owner(f"email:{email}") is not None:
        raise AdminExists(f"{email} already has an account: sign in, or reset its password")
    # No confirmation mail: the address is the operator's, and SES may still be in its sandbox.
    account, password = demo.create_admin(replace(context, mailer=NoMail()), email)
    return account.email, password
