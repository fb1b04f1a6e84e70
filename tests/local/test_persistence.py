"""Data survives a restart of the local instance: the table is exported to the data folder after
changes and imported at start; the site is rebuilt from it."""

from __future__ import annotations

from pathlib import Path

import httpx

from affiche.local.runner import TABLE_FILE
from tests.local.conftest import running


def test_first_start_seeds_and_a_restart_keeps_everything(tmp_path: Path, restore_env: None,
                                                          cheap_crypto: None) -> None:
    data = tmp_path / "data"
    # Given a first start: an admin is created (login shown once) and the demo group published
    first = running(data)
    assert first.admin_login is not None
    email, password = first.admin_login
    first.wait_idle()
    client = httpx.Client(base_url=first.url)
    demo = client.get("/@demo/")
    assert demo.status_code == 200 and "Demo collective" in demo.text
    events = client.get("/@demo/", headers={"Accept": "application/activity+json"}).json()
    assert events["type"] == "Group"
    home = client.get("/").text
    assert home.count('class="event-card"') >= 3
    # And a group created through the API
    assert client.post("/api/session", json={"email": email, "password": password}).status_code == 200
    assert client.post("/api/groups", json={"name": "kept", "display_name": "Kept"}).status_code == 201
    first.wait_idle()
    first.stop()
    assert (data / TABLE_FILE).exists()
    # When the instance starts again on the same data folder
    second = running(data)
    try:
        # Then nothing is seeded again, the admin can still log in, and the pages are back
        assert second.admin_login is None
        client = httpx.Client(base_url=second.url)
        assert client.post("/api/session", json={"email": email,
                                                 "password": password}).status_code == 200
        assert "Kept" in client.get("/@kept/").text
        assert client.get("/").text.count('class="event-card"') >= 3
        assert client.get("/api/groups/kept").json()["member_count"] == 1
    finally:
        second.stop()
