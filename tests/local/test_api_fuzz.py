"""No input crashes the API: Schemathesis sends generated requests, valid and invalid, to every
operation of `/api/openapi.json` through the local gateway, as a visitor and as a logged-in
administrator, and every answer must be no 5xx and match the document (status, content type,
body shape). The number of examples is bounded so the file runs in a minute or two."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from affiche.local.emulator import free_port
from affiche.local.runner import Instance, start
from tests.local.conftest import ENV_KEYS

EXAMPLES = int(os.environ.get("AFFICHE_FUZZ_EXAMPLES", "4"))  # per operation and generation mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, str]]:
    """One instance with the demo group, and an administrator's session secret."""
    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    with pytest.MonkeyPatch.context() as patch:
        from argon2 import PasswordHasher

        import affiche.web.passwords as passwords

        fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        patch.setattr(passwords, "_hasher", lambda: fast)
        data: Path = tmp_path_factory.mktemp("fuzz") / "data"
        _device.clear()
        instance = start(free_port(), data, empty=False)
        instance.start_background()
        try:
            yield instance, _admin_session(instance)
        finally:
            instance.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            from affiche.aws import reset_clients
            from affiche.config import reset_settings

            reset_settings()
            reset_clients()


def _admin_session(instance: Instance) -> str:
    """Log the administrator in (through the gateway, as a client would) and return the session
    cookie's value: cases that log out get a session of their own, and so never end this one.
    The device cookie of the first login is sent again, so the fuzzer's own wrong logins from
    this address never throttle the administrator's."""
    assert instance.admin_login is not None
    email, password = instance.admin_login
    answer = httpx.post(f"{instance.url}/api/session", json={"email": email, "password": password},
                        cookies=_device, timeout=30)
    assert answer.status_code == 200, answer.text
    _device.setdefault("affiche_device", answer.cookies["affiche_device"])
    return answer.cookies["affiche_session"]


_device: dict[str, str] = {}


def _known() -> dict[str, str]:
    """Path values that exist in the demo world, so generated bodies reach the code behind the
    lookups instead of stopping at 404."""
    from affiche.web.ports import ports

    context = ports()
    events = context.repo.events_of_group("demo")
    known = {"name": "demo", "member": "admin"}  # not the admin's account_id: no self-demotion
    if events:
        known["uuid"] = events[0].uuid
    return known


@pytest.mark.timeout(250 * max(EXAMPLES, 4))  # about 1,500 requests at 4 examples: 300 s is tight
def test_any_request_gets_a_documented_answer(fuzzed: tuple[Instance, str]) -> None:
    instance, secret = fuzzed
    schema = schemathesis.openapi.from_url(f"{instance.url}/api/openapi.json")
    known = _known()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100
    for operation in operations:
        placed = _placed(operation, known)
        strategies = [operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE)]
        if placed:
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE,
                                                    path_parameters=placed))
        for strategy in strategies:
            failures.extend(_explore(strategy, instance, secret))
    assert not failures, "\n\n".join(failures)


def _placed(operation: Any, known: dict[str, str]) -> dict[str, str]:
    names = [p.name for p in operation.path_parameters]
    return {n: known[n] for n in names if n in known} if all(n in known for n in names) else {}


def _explore(strategy: Any, instance: Instance, secret: str) -> list[str]:
    failures: list[str] = []

    @given(strategy, st.booleans())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    def run(case: Any, as_admin: bool) -> None:
        headers = {"Content-Type": "application/json"} if case.body is None and \
            case.method.upper() in {"POST", "PUT", "PATCH", "DELETE"} else {}
        # Logging out ends the session it is sent with: that case gets a session of its own.
        logout = case.method.upper() == "DELETE" and case.formatted_path == "/api/session"
        session = _admin_session(instance) if logout else secret
        cookies = {"affiche_session": session} if as_admin else {}
        try:
            case.call_and_validate(base_url=instance.url, headers=headers, cookies=cookies,
                                   checks=CHECKS)
        except BaseException as error:  # a FailureGroup is not an Exception: collect them all
            if isinstance(error, KeyboardInterrupt):
                raise
            failures.append(f"{case.method} {case.formatted_path} "
                            f"{'as admin' if as_admin else 'as visitor'}: {error}"[:1500])

    # Unsatisfiable: nothing invalid to send (an operation without parameters or body).
    with contextlib.suppress(Unsatisfiable):
        run()
    return failures


def test_the_document_says_what_the_api_answers() -> None:
    from functions.api.app import openapi_document

    document = openapi_document()
    signup = document["paths"]["/api/accounts"]["post"]["responses"]
    # Writes that create say 201, the error answers have the one shape errors have
    assert "201" in signup and "200" not in signup
    for status in ("400", "401", "403", "404", "409", "413", "415", "422", "429"):
        assert signup[status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}, status
    assert document["components"]["schemas"]["Error"]["required"] == ["error", "message"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    csv = document["paths"]["/api/events/{uuid}/participants.csv"]["get"]["responses"]["200"]
    assert set(csv["content"]) == {"text/csv"}
