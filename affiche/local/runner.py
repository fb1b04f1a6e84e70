"""`affiche dev`: the whole instance in one process, fed exactly the events AWS would feed it.

Start-up order matters: the stream is read from LATEST *after* the saved data is imported (so a
restart does not replay old activities to remote servers), then the demo is seeded (new activities,
published by the poller), then a full build fills the bucket with everything imported."""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from affiche.aws import reset_clients
from affiche.config import get_settings, reset_settings
from affiche.local.emulator import Emulator, start_emulator
from affiche.local.gateway import Gateway, load_handlers
from affiche.local.pollers import Poller, QueuePoller, SchedulePoller, StreamPoller
from affiche.local.resources import create_resources
from affiche.store import backup

log = logging.getLogger("affiche.local")
TABLE_FILE = "table.jsonl"
JOURNAL_FILE = "table.journal.jsonl"  # changes since TABLE_FILE was written (Saver)
SAVE_INTERVAL = 1.0
REMINDER_INTERVAL = 15 * 60.0  # seconds, as the template's ReminderFunction schedule


@dataclass
class Instance:
    port: int
    data: Path
    emulator: Emulator
    gateway: Gateway
    pollers: list[Poller]
    saver: Saver
    admin_login: tuple[str, str] | None = None
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def serve_forever(self) -> None:
        self.gateway.serve_forever()

    def start_background(self) -> None:
        thread = threading.Thread(target=self.gateway.serve_forever, daemon=True, name="gateway")
        thread.start()
        self.threads.append(thread)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until every poller found nothing to do (tests: 'the change is published')."""
        for poller in self.pollers:
            poller.idle.clear()
        for poller in self.pollers:
            if not poller.idle.wait(timeout):
                raise TimeoutError(f"{poller.name} still busy after {timeout}s")

    def stop(self) -> None:
        self.gateway.shutdown()
        self.gateway.server_close()
        for poller in self.pollers:
            poller.stop()
        for poller in self.pollers:
            poller.join(timeout=5)
        self.saver.stop()
        self.emulator.stop()


class Saver(threading.Thread):
    """Saves the data folder: each change of the table as it streams by (appended to a journal,
    so a save costs what the change costs, not what the table holds), uploaded media shortly
    after, and the whole table in one file at stop (the journal is then emptied)."""

    def __init__(self, data: Path) -> None:
        super().__init__(name="saver", daemon=True)
        self.data = data
        self.dirty = threading.Event()
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def mark(self, records: list[dict[str, Any]] | None = None) -> None:
        if records:
            with self.lock:
                backup.append_journal(self.data / JOURNAL_FILE, records)
        self.dirty.set()

    def save(self) -> None:
        """The whole table and the media (at stop)."""
        with self.lock:
            self.dirty.clear()
            compact(self.data)
            backup.export_media(self.data)

    def run(self) -> None:
        while not self.stopping.is_set():
            if self.dirty.wait(SAVE_INTERVAL) and not self.stopping.is_set():
                self.stopping.wait(SAVE_INTERVAL)  # gather a burst of uploads into one copy
                with self.lock:
                    self.dirty.clear()
                    backup.export_media(self.data)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.save()


def compact(data: Path) -> None:
    """Write the whole table to TABLE_FILE, then drop the journal it now contains."""
    backup.export_table(data / TABLE_FILE)
    (data / JOURNAL_FILE).unlink(missing_ok=True)


def _configure(port: int, data: Path, public_url: str | None) -> None:
    os.environ["AFFICHE_PUBLIC_URL"] = public_url or f"http://localhost:{port}"
    os.environ["AFFICHE_MAIL_MODE"] = "maildir"
    os.environ["AFFICHE_MAIL_DIR"] = str(data / "mail")
    os.environ["AFFICHE_DEV_PAGES"] = "1"
    reset_settings()
    reset_clients()


def start(port: int = 8000, data: Path = Path(".affiche"), *, empty: bool = False,
          public_url: str | None = None) -> Instance:
    data = data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    emulator = start_emulator()
    _configure(port, data, public_url)
    queues = create_resources()
    os.environ["AFFICHE_DELIVERY_QUEUE_URL"] = queues["queue"]
    reset_settings()
    imported = backup.import_table(data / TABLE_FILE)
    if backup.replay_journal(data / JOURNAL_FILE):  # changes saved after the last full export
        imported = imported or 1
        compact(data)
    backup.import_media(data)
    handlers = load_handlers()
    from functions.outbox.handler import lambda_handler as outbox

    saver = Saver(data)
    stream = StreamPoller(get_settings().table_name, outbox,
                          on_failure_queue=queues["stream_failures"], on_change=saver.mark)
    admin_login = None
    if imported == 0:
        admin_login = _seed(empty)
    _full_build()
    from affiche.local.clock import ClockPoller
    from functions.outbox.clock import lambda_handler as clock
    from functions.reminders.handler import lambda_handler as reminders

    pollers: list[Poller] = [stream, QueuePoller(queues["queue"], outbox),
                             SchedulePoller("reminders", reminders, REMINDER_INTERVAL),
                             ClockPoller(clock)]
    for poller in pollers:
        poller.start()
    saver.start()
    if imported == 0:
        saver.mark()
    gateway = Gateway(port, get_settings().site_bucket, handlers)
    return Instance(port, data, emulator, gateway, pollers, saver, admin_login)


def _seed(empty: bool) -> tuple[str, str]:
    from affiche import demo
    from affiche.domain.context import NoMail
    from affiche.web.ports import ports

    context = ports()
    quiet = type(context)(repo=context.repo, hasher=context.hasher, keys=context.keys,
                          mailer=NoMail(), clock=context.clock)
    admin, password = demo.create_admin(quiet)
    if not empty:
        demo.create_demo(quiet, admin)
    return admin.email, password


def _full_build() -> None:
    from affiche.build import build, sync_to_bucket

    with tempfile.TemporaryDirectory(prefix="affiche-build-") as folder:
        build(Path(folder))
        sync_to_bucket(Path(folder), get_settings().site_bucket)


def serve(port: int, data: Path, *, empty: bool = False, public_url: str | None = None) -> None:
    """Run until interrupted; what `make run` starts."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)  # one credentials line per client
    instance = start(port, data, empty=empty, public_url=public_url)
    if instance.admin_login:
        email, password = instance.admin_login
        print(f"\nFirst start: an administrator account was created.\n"
              f"  email:    {email}\n  password: {password}\n"
              f"This is shown only once.\n", flush=True)
    print(f"affiche is running at {instance.url}  (data in {data}, Ctrl-C to stop)", flush=True)

    def shutdown(*_: Any) -> None:
        threading.Thread(target=instance.gateway.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    try:
        instance.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        instance.gateway.server_close()
        for poller in instance.pollers:
            poller.stop()
        instance.saver.stop()
        instance.emulator.stop()
        print("affiche stopped; data saved.", flush=True)
