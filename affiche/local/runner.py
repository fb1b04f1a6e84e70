"""`affiche dev`: the whole instance in one process, fed exactly the events AWS would feed it.

Start-up order matters: the stream is read from LATEST *after* the saved data is imported (so a
restart does not replay old activities to remote servers), then the demo is seeded (new activities,
published by the poller), then the bucket is filled with everything imported: the site saved at
the last clean stop when nothing is in doubt (saved_site.py), else a full build."""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from affiche.aws import reset_clients
from affiche.config import get_settings, reset_settings
from affiche.local.emulator import Emulator, start_emulator
from affiche.local.gateway import Gateway, load_handlers
from affiche.local.journal import Journal, fold, has_changes, load
from affiche.local.pollers import Poller, QueuePoller, SchedulePoller, StreamPoller
from affiche.local.queue_journal import QueueJournal
from affiche.local.resources import create_resources
from affiche.local.saved_site import SavedSite
from affiche.store import backup

log = logging.getLogger("affiche.local")
TABLE_FILE = "table.jsonl"
SAVE_INTERVAL = 1.0
COMPACT_AFTER = 2000  # journal entries: past this, fold them into the table export
SETTLE_TIMEOUT = 10.0  # seconds to wait for the outbox before folding the journal
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
    site: SavedSite | None = None

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
            poller.wake()  # an idle poller looks again only now and then (pollers.IDLE_LOOK)
        for poller in self.pollers:
            if not poller.idle.wait(timeout):
                raise TimeoutError(f"{poller.name} still busy after {timeout}s")

    def stop(self) -> None:
        self.gateway.shutdown()
        self.close()

    def close(self) -> None:
        """After the gateway stopped: save (once the outbox caught up), then stop the rest."""
        self.gateway.server_close()
        self.saver.stop()  # before the pollers: it waits for the outbox to handle every change
        for poller in self.pollers:
            poller.stop()
        for poller in self.pollers:
            poller.join(timeout=5)
        # After the pollers: what they sent or deleted while the saver stopped is in the snapshot.
        self.saver.queues.compact()
        self.saver.queues.close()
        if self.site is not None:
            # Stamped only if the export holds every write the bucket may reflect: the fold
            # covered the outbox's work, nothing was written since, every poller has stopped.
            try:
                self.site.save(self.saver.saved and self.saver.journal.entries == 0
                               and not any(poller.is_alive() for poller in self.pollers))
            except Exception:  # no list saved: the next start builds the site, as it used to
                log.exception("the site could not be saved in %s", self.data)
        self.emulator.stop()


class Saver(threading.Thread):
    """Keeps the data folder. Every acknowledged write is already in the journal (journal.py);
    this folds the journal into the table export every COMPACT_AFTER entries, and at stop, once the
    outbox has handled every change in it: a change still in a journal is handed to the outbox
    again at the next start, so a kill never loses its mail or deliveries. It also copies media
    (which the journal writes as they are uploaded) as a second line of defence, and compacts
    the queues' journal (queue_journal.py), which depends on nothing else."""

    def __init__(self, data: Path, journal: Journal, outbox: Poller,
                 queues: QueueJournal) -> None:
        super().__init__(name="saver", daemon=True)
        self.data = data
        self.journal = journal
        self.queues = queues
        self.outbox = outbox
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.saved = False  # whether the last fold (at stop) covered every change

    def save(self) -> bool:
        """Fold the journal into the export; False when the outbox is still busy (kept)."""
        with self.lock:
            if self.queues.entries:
                self.queues.compact()
            self.journal.rotate()
            if not self._outbox_caught_up():
                return False
            fold(self.journal)
            backup.export_media(self.data)
            return True

    def _outbox_caught_up(self) -> bool:
        # Twice: a poll already under way when the flag is cleared may have started before the
        # last write; the poll after the next "nothing new" certainly started after it.
        for _ in range(2):
            self.outbox.idle.clear()
            self.outbox.wake()
            if not self.outbox.idle.wait(SETTLE_TIMEOUT):
                return False
        return True

    def run(self) -> None:
        while not self.stopping.is_set():
            if self.stopping.wait(SAVE_INTERVAL):
                break
            if self.queues.entries >= COMPACT_AFTER:
                self.queues.compact()
            # Only a long journal is folded: a fold exports the whole table (a Scan holding
            # the emulator for seconds at 2,000 events), which folding at every quiet second
            # made each publish pay. The journal alone already keeps every change.
            if self.journal.entries >= COMPACT_AFTER:
                self.save()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.saved = self.save()
        self.journal.close()


def _configure(port: int, data: Path, public_url: str | None) -> None:
    os.environ["AFFICHE_PUBLIC_URL"] = public_url or f"http://localhost:{port}"
    os.environ["AFFICHE_MAIL_MODE"] = "maildir"
    os.environ["AFFICHE_MAIL_DIR"] = str(data / "mail")
    os.environ["AFFICHE_DEV_PAGES"] = "1"
    reset_settings()
    reset_clients()


LOCAL_KEY_PARAMETER = "/affiche/local/instance-key"


def _instance_key() -> None:
    """The instance actor's key in moto's SSM, as `make deploy` puts it in AWS's. moto's SSM is
    not saved with the data, so the key is also kept in the table (saved) and copied in at each
    start: the local instance keeps one key id across restarts."""
    from affiche.activitypub import instance_actor
    from affiche.store.repository import DynamoRepository

    repo = DynamoRepository()
    instance_actor.table_key(repo)
    instance_actor.provision_key_parameter(LOCAL_KEY_PARAMETER, repo)
    os.environ["AFFICHE_INSTANCE_KEY_PARAMETER"] = LOCAL_KEY_PARAMETER
    reset_settings()


def start(port: int = 8000, data: Path = Path(".affiche"), *, empty: bool = False,
          public_url: str | None = None, rebuild: bool = False) -> Instance:
    data = data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    emulator = start_emulator()
    _configure(port, data, public_url)
    queues = create_resources()
    os.environ["AFFICHE_DELIVERY_QUEUE_URL"] = queues["queue"]
    reset_settings()
    replayed = has_changes(data)  # before `load` empties the journal
    imported, unfinished = load(data, data / TABLE_FILE, emulator.server.lock)
    backup.import_media(data)
    _instance_key()
    settings = get_settings()
    journal = Journal(data, settings.table_name, settings.aws_region, settings.site_bucket)
    emulator.server.recorder.journal = journal  # from now on, each acknowledged write is kept
    backup.reindex_events()  # data saved by an older release: its events' index keys (kept)
    queues_journal = QueueJournal.open(data, settings.aws_region)  # messages back in the queues
    emulator.server.recorder.queues = queues_journal
    handlers = load_handlers()
    from functions.outbox.handler import lambda_handler as outbox

    stream = StreamPoller(get_settings().table_name, outbox,
                          on_failure_queue=queues["stream_failures"])
    saver = Saver(data, journal, stream, queues_journal)
    site = SavedSite.open(data, settings.site_bucket, emulator.server.lock)
    admin_login = None
    if imported == 0:
        admin_login = _seed(empty)
    _fill_bucket(site, replayed, rebuild)
    stream.catch_up(unfinished)
    from affiche.local.clock import ClockPoller
    from functions.outbox.clock import lambda_handler as clock
    from functions.reminders.handler import lambda_handler as reminders

    pollers: list[Poller] = [stream, QueuePoller(queues["queue"], outbox),
                             SchedulePoller("reminders", reminders, REMINDER_INTERVAL),
                             ClockPoller(clock)]
    # The emulator wakes the pollers a write concerns: they do not poll in a loop.
    emulator.server.recorder.on_table_write = stream.wake
    emulator.server.recorder.on_queue_send = pollers[1].wake
    for poller in pollers:
        poller.start()
    saver.start()
    gateway = Gateway(port, get_settings().site_bucket, handlers)
    return Instance(port, data, emulator, gateway, pollers, saver, admin_login, site=site)


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


def _fill_bucket(site: SavedSite, replayed: bool, rebuild: bool) -> None:
    """The site saved at the last stop, brought up to the clock; else a full build."""
    now = datetime.now(UTC)
    reason = "asked for (--rebuild)" if rebuild else site.reason_to_rebuild(replayed, now)
    if reason is None and site.restore(now):
        try:
            swept = site.catch_up(now)
        except Exception:  # the build below renders everything for the time anyway
            log.exception("the saved site could not be brought up to the clock")
            reason = "the catch-up with the clock failed"
        else:
            log.info("site restored from %s (%d files, %d artifacts re-rendered for the time)",
                     site.folder, len(site.files), swept)
            return
    log.info("full build of the site: %s", reason or "a saved file is missing or altered")
    site.build()


def serve(port: int, data: Path, *, empty: bool = False, public_url: str | None = None,
          rebuild: bool = False) -> None:
    """Run until interrupted; what `make run` starts."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)  # one credentials line per client
    instance = start(port, data, empty=empty, public_url=public_url, rebuild=rebuild)
    if instance.admin_login:
        email, password = instance.admin_login
        print(f"\nFirst start: an administrator account was created.\n"
              f"  email:    {email}\n  password: {password}\n"
              f"This is shown only once.\n", flush=True)
    # The CLI's admin commands (`affiche failures replay`, `affiche deliveries ...`) reach this
    # instance with AWS_ENDPOINT_URL set to the emulator.
    print(f"Admin commands reach it with: AWS_ENDPOINT_URL={instance.emulator.endpoint} "
          f"AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local affiche failures list",
          flush=True)
    print(f"affiche is running at {instance.url}  (data in {data}, Ctrl-C to stop)", flush=True)

    def shutdown(*_: Any) -> None:
        threading.Thread(target=instance.gateway.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    try:
        instance.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        instance.close()
        print("affiche stopped; data saved.", flush=True)
