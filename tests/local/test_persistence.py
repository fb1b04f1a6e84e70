"""Data survives a restart of `affiche dev`: the table and media are exported to the data folder
after changes and imported at start; the site is rebuilt from them. The instance runs as a real
subprocess, stopped with SIGTERM as `make run` would be with Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from affiche.local.emulator import free_port
from affiche.local.runner import TABLE_FILE


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
