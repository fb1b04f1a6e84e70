"""What a Lambda cold start pays before the first event: each handler's import, in a fresh
interpreter, leaves out what only some invocations need (issue 11: the API's import at most
1.6x a bare `import boto3`; bench/__main__.py measures it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# handler module -> what its import must not load
LEFT_OUT = {
    # the routers (their pydantic models and domain services; functions/api/lazy_routes.py),
    # the image library (uploads only), the theme's templates, the table's ORM, the publisher
    "functions.api.handler": ("functions.api.routes.", "functions.api.pages.", "PIL", "jinja2",
                              "pynamodb", "affiche.publish"),
    # the renderer, its templates and calendars: a container that only delivers never renders
    "functions.outbox.handler": ("affiche.publish.renderer", "affiche.publish.calendar",
                                 "jinja2", "PIL"),
}


def loaded_by(module: str) -> list[str]:
    probe = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); import {module}; "
             "print(json.dumps(sorted(sys.modules)))")
    # -I: no user site, no PYTHONPATH, no current directory on the path: only what the
    # import itself pulls in
    out = subprocess.run([sys.executable, "-I", "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    loaded: list[str] = json.loads(out.stdout)
    return loaded


@pytest.mark.parametrize("handler", sorted(LEFT_OUT))
def test_a_handlers_import_leaves_out_what_few_invocations_need(handler: str) -> None:
    heavy = LEFT_OUT[handler]
    assert [m for m in loaded_by(handler)
            if m.startswith(heavy) or m.split(".")[0] in heavy] == []
