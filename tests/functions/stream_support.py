"""The outbox function fed from the table's change stream, as the local runner feeds it: mails,
pages and deliveries happen there, after the commit (DESIGN.md §9). Start it before the writes
whose effects a test reads (the poller reads from LATEST, like the runner)."""

from __future__ import annotations

from typing import Any

from affiche.config import get_settings
from affiche.local.pollers import StreamPoller


class OutboxStream:
    def __init__(self) -> None:
        from functions.outbox.handler import lambda_handler

        self.answers: list[dict[str, Any]] = []

        def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
            answer: dict[str, Any] = lambda_handler(event, context)
            self.answers.append(answer)
            return answer

        self.poller = StreamPoller(get_settings().table_name, handle)

    def drain(self) -> None:
        """Hand every new change to the outbox function; fail if any record failed."""
        while self.poller.poll_once():
            pass
        assert all(not a.get("batchItemFailures") for a in self.answers), self.answers
