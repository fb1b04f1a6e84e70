"""A `kill -9` of `affiche dev` loses no acknowledged write: every write the emulator answered is
in the data folder's journal before the answer leaves (affiche/local/journal.py), and a restart
replays it. The runner is a real subprocess, killed with SIGKILL in the middle of a burst."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from bench.load import RunnerProcess
from tests import imagebytes

WRITERS = 6


def _logged_in(runner: RunnerProcess, login: tuple[str, str]) -> httpx.Client:
    client = httpx.Client(base_url=runner.url, timeout=30)
    email, password = login
    client.post("/api/session", json={"email": email, "password": password}).raise_for_status()
    return client


def test_every_acknowledged_write_survives_a_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runner = RunnerProcess(data).start()
    login = runner.admin_login()  # printed at the first start only
    admin = _logged_in(runner, login)
    # Given a group whose avatar upload was acknowledged
    assert admin.post("/api/groups", json={"name": "pictured", "display_name": "Pictured"}
                      ).status_code == 201
    avatar = admin.post("/api/groups/pictured/avatar", content=imagebytes.png(3, 3),
                        headers={"content-type": "image/png"})
    assert avatar.status_code == 200, avatar.text
    avatar_key = avatar.json()["avatar"]
    # And a burst of group creations from several clients at once
    acknowledged: list[str] = []
    lock = threading.Lock()

    def write(writer: int) -> None:
        client = httpx.Client(base_url=runner.url, timeout=30, cookies=admin.cookies)
        for n in range(1000):
            name = f"g{writer}x{n}"
            try:
                answer = client.post("/api/groups", json={"name": name, "display_name": name})
            except httpx.HTTPError:
                return  # the runner is gone: this write was never acknowledged
            if answer.status_code == 201:
                with lock:
                    acknowledged.append(name)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 20:
        assert time.monotonic() < deadline, "the burst never got going"
        time.sleep(0.05)
    # When the runner is killed with SIGKILL in the middle of it
    runner.kill()
    for thread in threads:
        thread.join(timeout=60)
    assert (data / "journal.jsonl").exists()
    # Then after a restart every acknowledged group is there, and the acknowledged upload too
    restarted = RunnerProcess(data).start()
    try:
        admin = _logged_in(restarted, login)
        missing = [name for name in acknowledged
                   if admin.get(f"/api/groups/{name}").status_code != 200]
        assert missing == [], f"{len(missing)} of {len(acknowledged)} acknowledged writes lost"
        assert admin.get("/api/groups/pictured").json()["avatar"] == avatar_key
        image = admin.get(f"/{avatar_key}")
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    finally:
        assert restarted.stop() == 0
    assert not (data / "journal.jsonl").read_text().strip()  # a clean stop folds it in
