"""Data survives a restart of `affiche dev`: the table and media are exported to the data folder
after changes and imported at start. The site saved at the last clean stop is served again when
nothing is in doubt, else rebuilt from them. The first tests run the instance as a real
subprocess, stopped with SIGTERM as `make run` would be with Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from affiche.local.emulator import free_port
from affiche.local.runner import TABLE_FILE, Instance
from tests.local.conftest import running


@contextmanager
def affiche_dev(data: Path, *extra: str) -> Iterator[tuple[str, str]]:
    """Run `affiche dev` until the block ends; yields (base URL, everything it printed)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AFFICHE_"))}
    # The installed console script, run from outside the checkout: exactly what `make run` runs,
    # so a module the package does not install cannot go unnoticed.
    command = Path(sys.executable).parent / "affiche"
    process = subprocess.Popen(
        [str(command), "dev", "--port", str(port), "--data", str(data), *extra],
        cwd=data.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://localhost:{port}"
    printed = ""
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while "affiche is running" not in printed:
        line = process.stdout.readline()
        assert line or process.poll() is None, printed
        printed += line
        assert time.monotonic() < deadline, printed
    try:
        yield url, printed
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
        assert process.returncode == 0, printed + rest
        assert "data saved" in rest


def wait_for_text(client: httpx.Client, path: str, text: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        response = client.get(path)
        body = response.text
        if response.status_code == 200 and text in body:
            return body
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in {path}: {body[:300]}")


def test_first_start_seeds_and_a_restart_keeps_everything(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # Given a first start on an empty data folder
    with affiche_dev(data) as (url, printed):
        # Then an administrator is created and its login printed once, and the demo published
        email = re.search(r"email:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
        password = re.search(r"password:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
        client = httpx.Client(base_url=url)
        demo = client.get("/@demo/")
        assert demo.status_code == 200 and "Demo collective" in demo.text
        assert client.get("/").text.count('class="event-card"') >= 3
        # When the admin creates a group through the API
        assert client.post("/api/session", json={"email": email,
                                                 "password": password}).status_code == 200
        created = client.post("/api/groups", json={"name": "kept", "display_name": "Kept"})
        assert created.status_code == 201
        wait_for_text(client, "/@kept/", "Kept")
    assert (data / TABLE_FILE).exists()
    # When the instance starts again on the same data folder
    with affiche_dev(data) as (url, printed):
        # Then nothing is seeded again, the admin can still log in, and the pages are back
        assert "password:" not in printed
        client = httpx.Client(base_url=url)
        assert client.post("/api/session", json={"email": email,
                                                 "password": password}).status_code == 200
        assert "Kept" in client.get("/@kept/").text
        assert client.get("/").text.count('class="event-card"') >= 3
        assert client.get("/api/groups/kept").json()["member_count"] == 1


def test_empty_flag_skips_the_demo(tmp_path: Path) -> None:
    with affiche_dev(tmp_path / "data", "--empty") as (url, printed):
        assert "password:" in printed
        assert httpx.get(f"{url}/@demo/").status_code == 404
        assert httpx.get(f"{url}/").status_code == 200


# --- the site saved at stop (affiche/local/saved_site.py) ------------------------------------
# In-process instances, restarted on the same port as `make run` restarts. Full builds are
# counted by wrapping affiche.build.build, which the runner calls for each one.


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    from affiche import build as build_module

    made: list[Path] = []
    real = build_module.build

    def counted(output: Path, **kwargs: Any) -> Path:
        made.append(output)
        return real(output, **kwargs)

    monkeypatch.setattr(build_module, "build", counted)
    return made


def _logged_in(instance: Instance, login: tuple[str, str]) -> httpx.Client:
    client = httpx.Client(base_url=instance.url, timeout=30)
    email, password = login
    assert client.post("/api/session", json={"email": email,
                                             "password": password}).status_code == 200
    return client


def _publish_group(instance: Instance, login: tuple[str, str], name: str) -> None:
    client = _logged_in(instance, login)
    assert client.post("/api/groups", json={"name": name,
                                            "display_name": name.title()}).status_code == 201
    instance.wait_idle()
    assert name.title() in client.get(f"/@{name}/").text


def _first_run(data: Path, port: int) -> tuple[str, str]:
    """A first run that publishes a group through the API, then stops cleanly; its admin login."""
    instance = running(data, empty=True, port=port)
    try:
        assert instance.admin_login is not None
        _publish_group(instance, instance.admin_login, "kept")
        return instance.admin_login
    finally:
        instance.stop()


def test_a_restart_with_nothing_changed_serves_the_saved_site_without_a_build(
        tmp_path: Path, restore_env: None, cheap_crypto: None, builds: list[Path]) -> None:
    data, port = tmp_path / "data", free_port()
    # Given a run that published a group, stopped cleanly
    login = _first_run(data, port)
    assert len(builds) == 1  # the first start's
    # When the instance starts again on the same data folder and port
    again = running(data, port=port)
    try:
        # Then no full build runs, and the pages are served as they were, with their types
        assert len(builds) == 1
        page = httpx.get(f"{again.url}/@kept/")
        assert page.status_code == 200 and "Kept" in page.text
        assert page.headers["content-type"].startswith("text/html")
        assert httpx.get(f"{again.url}/").status_code == 200
        actor = httpx.get(f"{again.url}/@kept/", headers={"Accept": "application/activity+json"})
        assert actor.json()["name"] == "Kept"
        # And a change is published over the restored site
        _publish_group(again, login, "more")
    finally:
        again.stop()
    # And the next start, with nothing changed since, serves that change too without a build
    third = running(data, port=port)
    try:
        assert len(builds) == 1
        assert "More" in httpx.get(f"{third.url}/@more/").text
        assert "Kept" in httpx.get(f"{third.url}/@kept/").text
    finally:
        third.stop()


def _edit_table(data: Path) -> None:
    table = data / TABLE_FILE
    edited = table.read_text().replace("Kept", "Renamed while stopped")
    assert edited != table.read_text()
    table.write_text(edited)


def _alter_a_saved_page(data: Path) -> None:
    (data / "site" / "@kept" / "index.html").write_text("altered")


def _stopped_long_ago(data: Path) -> None:
    listed = json.loads((data / "site.json").read_text())
    saved = datetime.fromisoformat(listed["stamp"]["saved_at"]) - timedelta(days=3)
    listed["stamp"]["saved_at"] = saved.isoformat()
    (data / "site.json").write_text(json.dumps(listed))


def _older_version(data: Path) -> None:
    (data / "site.json").unlink()  # a data folder from before the site was saved


@pytest.mark.parametrize("change", [_edit_table, _alter_a_saved_page, _stopped_long_ago,
                                    _older_version])
def test_a_doubt_about_the_saved_site_rebuilds_it(
        tmp_path: Path, restore_env: None, cheap_crypto: None, builds: list[Path],
        change: Callable[[Path], None]) -> None:
    data, port = tmp_path / "data", free_port()
    _first_run(data, port)
    # Given a change made to the data folder while the instance was stopped
    change(data)
    # When it starts again
    again = running(data, port=port)
    try:
        # Then the whole site is built again, and serves what the store holds
        assert len(builds) == 2
        page = httpx.get(f"{again.url}/@kept/").text
        assert ("Renamed while stopped" if change is _edit_table else "Kept") in page
    finally:
        again.stop()


def test_another_public_url_rebuilds_the_site(
        tmp_path: Path, restore_env: None, cheap_crypto: None, builds: list[Path]) -> None:
    data = tmp_path / "data"
    _first_run(data, free_port())
    # When the instance starts on another port (another public URL, which every page holds)
    again = running(data)
    try:
        # Then the site is built again, with the new URL
        assert len(builds) == 2
        actor = httpx.get(f"{again.url}/@kept/", headers={"Accept": "application/activity+json"})
        assert actor.json()["id"].startswith(again.url)
    finally:
        again.stop()


def test_a_run_that_dies_leaves_no_saved_site_to_trust(
        tmp_path: Path, restore_env: None, cheap_crypto: None, builds: list[Path]) -> None:
    from tests.local.test_crash_durability import _crash

    data, port = tmp_path / "data", free_port()
    login = _first_run(data, port)
    # Given a second run (restored, no build) that publishes a group, then dies
    second = running(data, port=port)
    assert len(builds) == 1
    _publish_group(second, login, "late")
    _crash(second)
    # When it starts again
    third = running(data, port=port)
    try:
        # Then the site is built again (the journal held changes), the new group's page with it
        assert len(builds) == 2
        assert "Late" in httpx.get(f"{third.url}/@late/").text
        assert "Kept" in httpx.get(f"{third.url}/@kept/").text
    finally:
        third.stop()


def test_a_restored_site_catches_up_with_the_clock_since_the_stop(
        tmp_path: Path, restore_env: None, cheap_crypto: None, builds: list[Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from affiche.publish import sweep

    data, port = tmp_path / "data", free_port()
    _first_run(data, port)
    # Given a site saved three hours ago
    listed = json.loads((data / "site.json").read_text())
    stopped = datetime.fromisoformat(listed["stamp"]["saved_at"]) - timedelta(hours=3)
    listed["stamp"]["saved_at"] = stopped.isoformat()
    (data / "site.json").write_text(json.dumps(listed))
    swept: list[tuple[datetime, datetime]] = []
    real_due = sweep.due

    def due(store: Any, since: datetime, until: datetime) -> Any:
        swept.append((since, until))
        return real_due(store, since, until)

    monkeypatch.setattr(sweep, "due", due)
    # When the instance starts again
    again = running(data, port=port)
    try:
        # Then the site is restored, and the pages events made stale since the stop (began or
        # ended in those three hours) are rendered, as the outbox's clock would have
        assert len(builds) == 1
        assert swept and swept[0][0] <= stopped - sweep.WINDOW + timedelta(seconds=1)
        assert swept[0][1] >= stopped + timedelta(hours=3) - timedelta(minutes=1)
        assert "Kept" in httpx.get(f"{again.url}/@kept/").text
    finally:
        again.stop()
