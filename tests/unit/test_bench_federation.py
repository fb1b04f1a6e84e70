"""`make bench` measures the inbox the way the handler runs it: a change to the inbox's
collaborators (the federation policy, once) broke the benchmark without any test noticing."""

from __future__ import annotations

import pytest

from bench import federation


def test_the_inbox_benchmark_runs_without_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no AWS at all (the benchmark excludes storage)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setattr(federation, "RUNS", 20)
    # When the inbox CPU figure is measured
    figures = federation.inbox_cpu()
    # Then it is a figure, each activity having been accepted (202) on the way
    assert figures["inbox_cpu_ms_per_activity"] > 0
    assert figures["rsa_verify_ms"] > 0
