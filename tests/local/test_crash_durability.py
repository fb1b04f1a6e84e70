"""A `kill -9` of `affiche dev` loses no acknowledged write: every write the emulator answered is
in the data folder's journal before the answer leaves (affiche/local/journal.py), and a restart
replays it. The runner is a real subprocess, killed with SIGKILL in the middle of a burst.
A change whose effects (mail, deliveries) the outbox had not handled yet is handed to it again
after the restart."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from affiche.local.runner import Instance
from affiche.mail import read_maildir
from bench.load import RunnerProcess
from tests import imagebytes
from tests.local.conftest import running
from tests.local.test_concurrency import _member

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


def _crash(instance: Instance) -> None:
    """Stop everything the way a killed process stops: no save, no fold of the journal."""
    instance.gateway.shutdown()
    instance.gateway.server_close()
    instance.saver.stopping.set()
    for poller in instance.pollers:
        poller.stop()
    for poller in instance.pollers:
        poller.join(timeout=5)
    instance.saver.journal.close()
    instance.emulator.stop()


def _mails_to(data: Path, address: str) -> list[str]:
    return [str(m["Subject"]) for _, m in read_maildir(str(data / "mail")) if m["To"] == address]


def test_a_change_whose_mail_had_not_gone_out_is_mailed_after_a_crash(
        tmp_path: Path, restore_env: None, cheap_crypto: None) -> None:
    data = tmp_path / "data"
    first = running(data, empty=True)
    owner, bob = _member(first, 0), _member(first, 1)
    assert owner.post("/api/groups", json={"name": "open", "display_name": "Open",
                                           "openness": "open"}).status_code == 201
    first.wait_idle()
    # Given the outbox not running (the process is about to die before it handles the next change)
    first.pollers[0].stop()
    first.pollers[0].join(timeout=5)
    # When bob joins the group (acknowledged), and the process dies
    assert bob.post("/api/groups/open/join", json={}).status_code == 201
    before = _mails_to(data, "p1@example.org")
    _crash(first)
    # Then the restarted instance handles the join: bob is a member and gets its mail, once
    second = running(data, empty=True)
    try:
        second.wait_idle()
        after = _mails_to(data, "p1@example.org")
        assert len(after) == len(before) + 1, (before, after)
        assert any("Open" in subject for subject in after)
        assert httpx.get(f"{second.url}/api/groups/open").json()["member_count"] == 2
    finally:
        second.stop()
    third = running(data, empty=True)  # a clean stop folded the journal: nothing is sent again
    try:
        third.wait_idle()
        assert len(_mails_to(data, "p1@example.org")) == len(before) + 1
    finally:
        third.stop()
