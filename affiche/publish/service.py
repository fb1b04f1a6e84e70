"""Publishing one activity: render what it touches, write it, and tell the CDN."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from affiche.config import Settings
from affiche.domain.model import Activity
from affiche.publish import artifacts, indexes, reach, tombstones
from affiche.publish.writers import Writer

if TYPE_CHECKING:
    from affiche.publish.renderer import Output, Renderer


def publish(activity: Activity, *, settings: Settings, store: object, writer: Writer,
            now: datetime, done: set[artifacts.Artifact] | None = None,
            indexed: bool = False) -> Output:
    """`done`: artifacts already rendered for earlier records of the same stream batch. Every
    record of a batch was committed, and its indexes written (`indexed`: by `index_batch`),
    before the batch is published, so an artifact rendered for one of them already shows all of
    them: a batch of 100 new events renders the home page once."""
    # Imported here: the outbox function also delivers (SQS), and a container that only
    # delivers never loads the templates and calendar code the renderer brings.
    from affiche.publish.renderer import Output, Renderer

    if not indexed:
        indexes.record(activity)  # before the tag and archive pages read them
    renderer = Renderer(settings, store, now)
    planned = [a for a in artifacts.touched_by(activity) if done is None or a not in done]
    renderer.prime(planned)
    # The object's own page goes out first, alone (a remote server fetching it on receipt of
    # the delivery, a visitor following the API's answer). Then only those of the other pages
    # this change can alter (reach.py: the reads that decide it are made by prime or are the
    # pages' own), in one parallel upload rather than one round of uploads per page.
    own, rest = planned[:1], planned[1:]
    if own and own[0][0] in reach.NARROWED:  # the object's page was rendered for the batch
        own, rest = [], planned
    output = _write(renderer, own, writer)
    rest = reach.narrowed(activity, rest, renderer)
    if done is not None:
        done.update(own + rest)
    output.extend(_write(renderer, rest, writer))
    # Markers of what this change brings back (a restore), unless a page just written is still
    # gone (e.g. its group is suspended).
    written = {file.key for file in output.files}
    lifted = Output(deletes=[marker for marker in tombstones.lifted(activity, store)
                             if marker not in written and marker not in output.deletes])
    if lifted.deletes:
        writer.apply(lifted)
        output.extend(lifted)
    return output


def _write(renderer: Renderer, planned: list[artifacts.Artifact], writer: Writer) -> Output:
    from affiche.publish.renderer import Output

    output = Output()
    for artifact in planned:
        output.supersede(artifacts.render(renderer, [artifact]))
    if planned:
        writer.apply(output)
    return output


def index_batch(activities: list[Activity]) -> set[str]:
    """Write the indexes of a stream batch's activities before any of them is published (the
    ids of those written): a page rendered once for the batch then lists every event of it.
    One that fails is indexed again by its own publish."""
    written = set()
    for activity in activities:
        try:
            indexes.record(activity)
        except Exception:  # noqa: BLE001 - retried with the record, which reports it
            continue
        written.add(activity.id)
    return written
