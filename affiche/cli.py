"""The `affiche` command: run the local instance, build the site, back up and restore, list and
replay dead federation deliveries."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="affiche", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run the whole instance locally")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--data", type=Path, default=Path(".affiche"),
                     help="folder where data is saved between runs (default .affiche/)")
    dev.add_argument("--empty", action="store_true", help="do not create the demo group")
    dev.add_argument("--public-url", help="the URL other servers reach this instance at "
                     "(default http://localhost:PORT; e.g. http://127.0.0.1:PORT to federate "
                     "two local instances, with AFFICHE_ALLOW_PRIVATE_FETCH=1)")
    dev.add_argument("--rebuild", action="store_true",
                     help="build the whole site at start, even if the one saved at the last stop "
                     "is current (e.g. after writing to the table behind the API's back)")

    build = commands.add_parser("build", help="full build of the static site (Pelican)")
    build.add_argument("--output", type=Path, default=Path("output"))
    build.add_argument("--sync", action="store_true",
                       help="then upload the result to the site bucket (AFFICHE_SITE_BUCKET)")

    backup = commands.add_parser("backup", help="export the table to a JSON-lines file")
    backup.add_argument("file", type=Path)
    restore = commands.add_parser("restore", help="import a JSON-lines export into the table")
    restore.add_argument("file", type=Path)

    deliveries = commands.add_parser("deliveries", help="dead letters of federation delivery")
    what = deliveries.add_subparsers(dest="action", required=True)
    dead = what.add_parser("dead", help="list deliveries that were given up, with the reason")
    dead.add_argument("--limit", type=int, default=100)
    dead.add_argument("--json", action="store_true", help="one JSON object per line")
    again = what.add_parser("replay", help="queue dead letters again (as new deliveries)")
    again.add_argument("ids", nargs="*", help="message ids, as `dead` lists them")
    again.add_argument("--domain", help="every dead letter for this domain")
    again.add_argument("--all", action="store_true", help="every dead letter")

    failures = commands.add_parser("failures", help="changes whose pages, deliveries or mail "
                                   "failed after their retries (the stream's failure queue)")
    failed_action = failures.add_subparsers(dest="action", required=True)
    failed_action.add_parser("list", help="list them")
    failed_action.add_parser("replay", help="run the outbox on each again; kept if it fails")
    commands.add_parser("reindex-staff", help="list existing moderators and administrators "
                        "in the role index (once, after upgrading to a release that has it)")
    commands.add_parser("reindex-events", help="give existing private events and drafts their "
                        "key in the members' index (once, after a stack update that adds it)")
    admin = commands.add_parser("admin", help="instance administrators")
    admin_what = admin.add_subparsers(dest="action", required=True)
    create = admin_what.add_parser(
        "create", help="create the first administrator (on AWS: AFFICHE_TABLE, AWS credentials); "
        "prints the password once")
    create.add_argument("email")

    args = parser.parse_args(argv)
    if args.command == "admin":
        return _create_admin(args.email)
    if args.command == "deliveries":
        return _deliveries(args)
    if args.command == "failures":
        return _failures(args.action)
    if args.command in ("reindex-staff", "reindex-events"):
        return _reindex_staff() if args.command == "reindex-staff" else _reindex_events()
    if args.command == "dev":
        from affiche.local.runner import serve

        serve(args.port, args.data, empty=args.empty, public_url=args.public_url,
              rebuild=args.rebuild)
    elif args.command == "build":
        from affiche.build import build as run_build
        from affiche.build import sync_to_bucket
        from affiche.config import get_settings

        run_build(args.output)
        if args.sync:
            sync_to_bucket(args.output, get_settings().site_bucket)
        print(f"site built in {args.output}")
    elif args.command == "backup":
        from affiche.store.backup import export_table

        print(f"{export_table(args.file)} items exported to {args.file}")
    elif args.command == "restore":
        from affiche.store.backup import import_table, reindex_events

        print(f"{import_table(args.file)} items imported from {args.file}")
        # An export of an older release lacks the keys of the indexes added since.
        print(f"{reindex_events()} event(s) indexed")
    return 0


def _reindex_staff() -> int:
    """Write every moderator and administrator account again, so that it enters the ROLE#
    listing (store/keys.py) that the report mails read: accounts written before that listing
    existed are not in it. A scan of the accounts, once; safe to run again."""
    from affiche.domain.model import Account
    from affiche.domain.ports import ChangeSet
    from affiche.store.keys import STAFF_ROLES
    from affiche.store.repository import DynamoRepository

    repo = DynamoRepository()
    staff = [a for a in repo.all_of_kind(Account.kind) if a.role in STAFF_ROLES]
    for account in staff:
        repo.commit(ChangeSet().put(account))
    print(f"{len(staff)} moderator and administrator account(s) indexed")
    return 0


def _reindex_events() -> int:
    """Give the events saved before the members' index (gsi3) their key in it (store/backup.py);
    safe to run again."""
    from affiche.store.backup import reindex_events

    print(f"{reindex_events()} event(s) indexed")
    return 0


def _create_admin(email: str) -> int:
    from affiche.domain.errors import DomainError
    from affiche.first_admin import create_first_admin

    try:
        address, password = create_first_admin(email)
    except DomainError as refused:
        print(f"not created: {refused}", file=sys.stderr)
        return 1
    print(f"administrator {address} created; password (shown once): {password}")
    return 0


def _deliveries(args: argparse.Namespace) -> int:
    import json

    from affiche.activitypub import dead_letters

    if args.action == "dead":
        letters = dead_letters.list_dead(args.limit)
        for letter in letters:
            summary = letter.summary()
            print(json.dumps(summary) if args.json else
                  f"{summary['id']}  {summary['reason']}  {summary['type']} "
                  f"{summary['activity']} -> {summary['inbox']}")
        if not args.json:
            print(f"{len(letters)} dead letter(s)")
        return 0
    if not (args.ids or args.domain or args.all):
        print("name message ids, --domain DOMAIN or --all", file=sys.stderr)
        return 2
    replayed = dead_letters.replay(dead_letters.selector(args.ids, args.domain, args.all))
    print(f"{len(replayed)} delivery(ies) queued again")
    return 0


def _failures(action: str) -> int:
    import json

    from affiche.publish import stream_failures

    if action == "list":
        found = stream_failures.failures()
        for failure in found:
            print(json.dumps(failure.summary()))
        print(f"{len(found)} failed change(s)")
        return 0
    from functions.outbox.handler import lambda_handler

    done, failed = stream_failures.replay(lambda_handler)
    print(f"{done} replayed, {failed} failed again (kept in the queue)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
