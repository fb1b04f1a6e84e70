"""A bounded load test on loopback: many people using one `affiche dev` at once.

`affiche dev` runs as its own process (as `make run` starts it). Each simulated person is a thread
with its own HTTP client bound to its own loopback address (127.0.x.y), so per-address limits
treat them as the different people they are. After signing up and confirming (before the timed
window), each one loops for `seconds` over a mix of reads (static pages and API), sign-ups of new
accounts, joining and leaving an open group, and comments on an event, all through the gateway.

Afterwards the counts must add up: the group has exactly the members whose last acknowledged
request was a join, the event exactly the acknowledged comments, the instance exactly the
acknowledged accounts. Figures: `load.rps` (answered requests a second), `load.p50_ms`,
`load.p95_ms`, `load.errors` (5xx answers, failed connections and timeouts; `load.timeouts` of
them timed out), `load.unexpected` (every non-2xx answer and failure), `load.join_conflicts`
(joins refused with a 409 because another changed the group at once), `load.lost_writes`.

`RunnerProcess` is also what tests/local/test_crash_durability.py kills with SIGKILL."""

from __future__ import annotations

import mailbox
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "correct horse battery"
# Per person: sign-ups stay under the per-address limit (10 an hour, one used at set-up), comments
# under the per-profile one (20 in 10 minutes): the test is about load, not about the limits.
MAX_SIGNUPS, MAX_COMMENTS = 8, 18
MEMBER_ROLES = ("member", "moderator", "administrator", "creator")
MIX = (("read", 55), ("join", 20), ("comment", 15), ("signup", 10))


class RunnerProcess:
    """`affiche dev --empty` in a subprocess on a free loopback port, as `make run` starts it."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.process: subprocess.Popen[str] | None = None
        self.printed = ""
        self.url = ""

    def start(self, timeout: float = 120) -> RunnerProcess:
        from affiche.local.emulator import free_port

        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AFFICHE_"))}
        command = Path(sys.executable).parent / "affiche"
        self.data.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [str(command), "dev", "--empty", "--port", str(port), "--data", str(self.data)],
            cwd=self.data.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        assert self.process.stdout is not None
        self.printed = ""
        deadline = time.monotonic() + timeout
        while "affiche is running" not in self.printed:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                raise RuntimeError(f"affiche dev stopped:\n{self.printed}")
            self.printed += line
            if time.monotonic() > deadline:
                raise TimeoutError(self.printed)
        # Drain what it prints from now on, or a full pipe would block the runner.
        threading.Thread(target=self._drain, daemon=True).start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for _line in self.process.stdout:
            pass

    def admin_login(self) -> tuple[str, str]:
        email = re.search(r"email:\s+(\S+)", self.printed)
        password = re.search(r"password:\s+(\S+)", self.printed)
        assert email and password, self.printed
        return email.group(1), password.group(1)

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is saved on the way out."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        return int(self.process.returncode)


def person_client(url: str, index: int) -> httpx.Client:
    """An HTTP client connecting from its own loopback address (127.0.0.0/8 is all loopback)."""
    address = f"127.0.{1 + index // 250}.{2 + index % 250}"
    return httpx.Client(base_url=url, timeout=60,
                        transport=httpx.HTTPTransport(local_address=address))


def confirmation_token(data: Path, to: str, timeout: float = 30.0) -> str:
    """The token of the newest confirmation mail to `to` in the runner's maildir, waiting for it
    a little: mail sent from the change stream arrives after the answer."""
    deadline = time.monotonic() + timeout
    while True:
        box = mailbox.Maildir(data / "mail", create=False)
        for key in box.iterkeys():
            try:
                message = message_from_bytes(box.get_bytes(key), policy=policy.default)
            except KeyError:  # moved or removed while we listed
                continue
            if message["To"] == to:
                body = message.get_body(("plain",))
                found = re.search(r"token=([\w-]+)", body.get_content() if body else "")
                if found:
                    return found.group(1)
        if time.monotonic() > deadline:
            raise AssertionError(f"no confirmation mail to {to}")
        time.sleep(0.1)


@dataclass
class Person:
    index: int
    client: httpx.Client
    name: str
    signups: list[str] = field(default_factory=list)  # acknowledged sign-ups (emails)
    comments: int = 0  # acknowledged comments
    member: bool = False  # after the last acknowledged join or leave
    samples: list[float] = field(default_factory=list)
    by_action: dict[str, list[float]] = field(default_factory=dict)  # the same samples, by action
    statuses: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    timeouts: int = 0  # of the errors, requests left unanswered past the client's timeout
    unexpected: list[str] = field(default_factory=list)
    # Writes with no answer (the connection failed): they may or may not have happened, so the
    # tally asks instead of assuming, and allows for them.
    unanswered: Counter[str] = field(default_factory=Counter)


@dataclass
class World:
    url: str
    data: Path
    run: str
    group: str = "loadgroup"
    event: str = ""


def _sign_up(world: World, client: httpx.Client, email: str, username: str) -> httpx.Response:
    return client.post("/api/accounts", json={"email": email, "password": PASSWORD,
                                              "username": username})


def set_up(world: World, people: int) -> list[Person]:
    """The group, its event, and `people` confirmed and logged-in people (untimed)."""
    def one(index: int) -> Person:
        client = person_client(world.url, index)
        name = f"{world.run}p{index}"
        email = f"{name}@example.org"
        _sign_up(world, client, email, name).raise_for_status()
        token = confirmation_token(world.data, email)
        client.post("/api/accounts/confirm", json={"token": token}).raise_for_status()
        client.post("/api/session", json={"email": email, "password": PASSWORD}
                    ).raise_for_status()
        return Person(index, client, name, signups=[email])

    with ThreadPoolExecutor(max_workers=8) as pool:  # errors surface from pool.map
        return list(pool.map(one, range(people)))


def open_group(world: World, admin: httpx.Client) -> None:
    admin.post("/api/groups", json={"name": world.group, "display_name": "Load test",
                                    "openness": "open"}).raise_for_status()
    created = admin.post(f"/api/groups/{world.group}/events", json={
        "title": "Load test evening", "begins_on": "2031-06-01T19:00",
        "ends_on": "2031-06-01T22:00", "timezone": "Europe/Paris"})
    created.raise_for_status()
    world.event = created.json()["uuid"]


def _request(world: World, person: Person, action: str, step: int) -> httpx.Response:
    client = person.client
    if action == "read":
        path = random.choice(("/", f"/@{world.group}/", f"/events/{world.event}/",
                              f"/api/groups/{world.group}", f"/api/events/{world.event}"))
        return client.get(path)
    if action == "join":
        verb = "leave" if person.member else "join"
        return client.post(f"/api/groups/{world.group}/{verb}", json={})
    if action == "comment":
        return client.post(f"/api/events/{world.event}/comments",
                           json={"text": f"{person.name} says hello ({step})"})
    username = f"{person.name}s{len(person.signups)}"
    return _sign_up(world, client, f"{username}@example.org", username)


def _act(world: World, person: Person, action: str, step: int) -> None:
    """One request; what it acknowledged is recorded on `person` for the final tally."""
    if action == "signup" and len(person.signups) >= MAX_SIGNUPS:
        action = "read"
    if action == "comment" and person.comments >= MAX_COMMENTS:
        action = "read"
    started = time.perf_counter()
    try:
        response = _request(world, person, action, step)
    except httpx.HTTPError as error:
        person.errors += 1
        person.timeouts += isinstance(error, httpx.TimeoutException)
        person.unexpected.append(f"{action}: {error!r}")
        person.unanswered[action] += 1
        return
    elapsed_ms = (time.perf_counter() - started) * 1000
    person.samples.append(elapsed_ms)
    person.by_action.setdefault(action, []).append(elapsed_ms)
    person.statuses[f"{action} {response.status_code}"] += 1
    if response.status_code >= 500:
        person.errors += 1
    if not response.is_success:
        person.unexpected.append(f"{action} {response.status_code}: {response.text[:200]}")
    elif action == "join":
        person.member = not person.member
    elif action == "comment":
        person.comments += 1
    elif action == "signup":
        person.signups.append(f"{person.name}s{len(person.signups)}@example.org")


def drive(world: World, crowd: list[Person], seconds: float) -> float:
    """Every person acts until `seconds` have passed; returns the elapsed time."""
    actions = [name for name, weight in MIX for _ in range(weight)]
    ends = time.monotonic() + seconds

    def loop(person: Person) -> None:
        rng = random.Random(person.index)
        step = 0
        while time.monotonic() < ends:
            _act(world, person, rng.choice(actions), step)
            step += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(p,)) for p in crowd]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _is_member(world: World, person: Person) -> bool:
    found = person.client.get("/api/me/groups").json()["memberships"]
    return any(m["group"] == world.group and m["role"] in MEMBER_ROLES for m in found)


def tally(world: World, admin: httpx.Client, crowd: list[Person]) -> dict[str, Any]:
    """What the instance holds against what it acknowledged: each write acknowledged and missing,
    or present though never sent, is a lost (or phantom) write. Writes left unanswered may or may
    not have happened: the group membership of such a person is read back, comments and accounts
    are allowed that many more."""
    members = 1 + sum(_is_member(world, p) if p.unanswered["join"] else p.member for p in crowd)
    expected = {"members": members, "comments": sum(p.comments for p in crowd),
                "accounts": sum(len(p.signups) for p in crowd)}
    slack = {"members": 0, "comments": sum(p.unanswered["comment"] for p in crowd),
             "accounts": sum(p.unanswered["signup"] for p in crowd)}
    group = admin.get(f"/api/groups/{world.group}").json()
    comments = admin.get(f"/api/events/{world.event}/comments").json()["comments"]
    accounts = admin.get("/api/mod/accounts", params={"q": world.run}).json()["total"]
    found = {"members": group["member_count"], "comments": len(comments), "accounts": accounts}
    lost = sum(max(0, expected[k] - found[k]) + max(0, found[k] - expected[k] - slack[k])
               for k in expected)
    return {"found": found, "expected": expected, "unanswered_writes": slack,
            "lost_writes": lost}


def run_load(data: Path, people: int, seconds: float) -> dict[str, Any]:
    """Start a runner in `data`, load it, check the counts; the figures and the evidence."""
    runner = RunnerProcess(data).start()
    try:
        world = World(runner.url, data, run=f"l{int(time.time()) % 100000}")
        admin = httpx.Client(base_url=runner.url, timeout=60)
        email, password = runner.admin_login()
        admin.post("/api/session", json={"email": email, "password": password}
                   ).raise_for_status()
        open_group(world, admin)
        crowd = set_up(world, people)
        elapsed = drive(world, crowd, seconds)
        counted = tally(world, admin, crowd)
    finally:
        runner.stop()
    samples = sorted(s for p in crowd for s in p.samples)
    statuses: Counter[str] = Counter()
    for person in crowd:
        statuses.update(person.statuses)
    requests = len(samples) + sum(p.errors for p in crowd if p.errors)
    by_action: dict[str, list[float]] = {}
    for person in crowd:
        for action, times in person.by_action.items():
            by_action.setdefault(action, []).extend(times)
    return {
        "people": people, "seconds": round(elapsed, 1), "requests": requests,
        "rps": round(len(samples) / elapsed, 1),
        "p50_ms": _percentile(samples, 0.5),
        "p95_ms": _percentile(samples, 0.95),
        "p95_ms_by_action": {a: _percentile(sorted(t), 0.95) for a, t in sorted(by_action.items())},
        "errors": sum(p.errors for p in crowd),
        "timeouts": sum(p.timeouts for p in crowd),
        "join_conflicts": statuses["join 409"],
        "unexpected": sum(len(p.unexpected) for p in crowd),
        "unexpected_examples": [u for p in crowd for u in p.unexpected][:5],
        "by_status": dict(sorted(statuses.items())),
        **counted,
    }


def _percentile(ordered: list[float], fraction: float) -> float | None:
    return round(ordered[int(len(ordered) * fraction)], 1) if ordered else None


def load_figures(people: int = 50, seconds: float = 60) -> dict[str, Any]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="affiche-load-") as folder:
        return {"load": run_load(Path(folder) / "data", people, seconds)}


if __name__ == "__main__":
    import json

    people, seconds = (int(sys.argv[1]), float(sys.argv[2])) if len(sys.argv) > 2 else (50, 60)
    print(json.dumps(load_figures(people, seconds), indent=2))
