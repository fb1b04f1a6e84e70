"""One reusable type for the explicit flows stored on items (DESIGN.md §9 "State graphs").

A graph is a table (state before, action) -> state after, where `None` stands for "no item yet".
It is checked when defined: every state is reachable from `None`. `step` is the only way to move
along it, so a refused transition reads the same everywhere."""

from __future__ import annotations

from affiche.domain.errors import Conflict

Transitions = dict[tuple[str | None, str], str | None]


class MalformedGraph(AssertionError):
    """A graph with states nothing leads to: a programming error, caught at import."""


class StateGraph:
    def __init__(self, name: str, transitions: Transitions) -> None:
        self.name = name
        self.transitions = dict(transitions)
        reached: set[str | None] = {None}
        while True:
            found = {after for (before, _), after in self.transitions.items() if before in reached}
            if found <= reached:
                break
            reached |= found
        states = {s for pair in self.transitions for s in (pair[0], self.transitions[pair])}
        if not states <= reached:
            raise MalformedGraph(f"{name}: unreachable states {states - reached}")
        self.states = frozenset(s for s in states if s is not None)

    def allows(self, state: str | None, action: str) -> bool:
        return (state, action) in self.transitions

    def step(self, state: str | None, action: str) -> str | None:
        """The state after `action`; Conflict (409) when the graph has no such move."""
        if (state, action) not in self.transitions:
            raise Conflict(f"a {self.name} that is {state or 'absent'} cannot be {action}d"
                           if action.endswith("e") else
                           f"a {self.name} that is {state or 'absent'} cannot take '{action}'")
        return self.transitions[(state, action)]
