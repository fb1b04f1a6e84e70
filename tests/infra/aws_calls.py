"""The AWS API calls a function's code can make, read from the code itself.

moto does not enforce IAM, so no behaviour test can see a missing permission: the moderation
function once could not send mail on AWS while every test passed. Here the code is read instead:
from a handler, every first-party module it can import (at the top or inside a function), and in
each module the boto3 clients it makes (`client("sqs")`) and the methods called in it that are
operations of those services, by botocore's own service models. The result is a superset (a
method named like an operation counts wherever it is called in that module), which is the safe
side for the question "does the role allow everything the code may do?".
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import botocore.session
from botocore import xform_name

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = ("affiche", "functions")

# Where an IAM action is not named like the API operation (AWS's service authorization reference).
IAM_ACTION = {
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:ListObjects": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
    "s3:DeleteObjects": "s3:DeleteObject",
    "s3:HeadBucket": "s3:ListBucket",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
# Operations IAM authorizes as several actions: a write transaction needs each kind of write it
# may hold (publish/indexes.py puts, deletes and updates).
IAM_ACTIONS = {
    "dynamodb:TransactWriteItems": ("dynamodb:PutItem", "dynamodb:UpdateItem",
                                    "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"),
}


def module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports_of(module: str) -> set[str]:
    """First-party modules `module` imports, wherever the import statement is, and those it
    names in a string that is exactly a module's dotted name: modules imported by name when
    needed (functions/api/lazy_routes.py lists the API's routers so)."""
    path = module_file(module)
    if path is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value.split(".")[0] in FIRST_PARTY and module_file(node.value):
            names = [node.value]
        for name in names:
            if name.split(".")[0] not in FIRST_PARTY:
                continue
            parts = name.split(".")
            # the module and the packages above it (their __init__ runs too)
            for end in range(1, len(parts) + 1):
                if module_file(".".join(parts[:end])):
                    found.add(".".join(parts[:end]))
    return found


def reachable(entry: str) -> set[str]:
    seen: set[str] = set()
    todo = [entry]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        todo.extend(imports_of(module) - seen)
    return seen


@cache
def operations(service: str) -> tuple[str, dict[str, str]]:
    """(IAM prefix, {python method name: operation name}) of a botocore service."""
    model = botocore.session.get_session().get_service_model(service)
    prefix = model.signing_name or model.endpoint_prefix
    return prefix, {xform_name(op): op for op in model.operation_names}


def literal_first_arg(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def names_in(nodes: list[ast.AST]) -> set[str]:
    """Every name some code refers to (loaded names, attributes, imported names)."""
    used: set[str] = set()
    for statement in nodes:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name):
                used.add(node.id)
            elif isinstance(node, ast.Attribute):
                used.add(node.attr)
            elif isinstance(node, ast.ImportFrom):
                used.update(alias.name for alias in node.names)
    return used


def definitions(module: str) -> list[ast.stmt]:
    path = module_file(module)
    return ast.parse(path.read_text("utf-8")).body if path else []


def defines(statement: ast.stmt) -> str | None:
    """The name a top-level def binds, unless it is decorated: a decorator registers it (a route,
    a handler), so it runs without being named anywhere, and is live like top-level code."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return None if statement.decorator_list else statement.name
    return None


def live_code(modules: set[str], entry: str) -> dict[str, list[ast.stmt]]:
    """The code of `modules` that can run: their top-level statements, then (until nothing is
    added) the top-level functions and classes that live code refers to by name. A helper only
    the local runner or the CLI calls (creating the table, a backup) is imported with its module
    but is not the function's code."""
    live = {m: [s for s in definitions(m) if defines(s) is None or m == entry] for m in modules}
    waiting = {m: [s for s in definitions(m) if s not in live[m]] for m in modules}
    while True:
        used = names_in([s for statements in live.values() for s in statements])
        woken = {m: [s for s in waiting[m] if defines(s) in used] for m in modules}
        if not any(woken.values()):
            return live
        for module, statements in woken.items():
            live[module] += statements
            waiting[module] = [s for s in waiting[module] if s not in statements]


def calls_in(live: list[ast.stmt]) -> set[str]:
    """IAM actions of the AWS operations one module's live code may call."""
    services: set[str] = set()
    methods: set[str] = set()
    for node in (inner for statement in live for inner in ast.walk(statement)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "client" and literal_first_arg(node):
            services.add(literal_first_arg(node) or "")
        elif name == "get_paginator" and literal_first_arg(node):
            methods.add(literal_first_arg(node) or "")
        if isinstance(func, ast.Attribute):
            methods.add(func.attr)
    actions = set()
    for service in services:
        prefix, ops = operations(service)
        for method in methods & set(ops):
            action = f"{prefix}:{ops[method]}"
            actions.update(IAM_ACTIONS.get(action, (IAM_ACTION.get(action, action),)))
    return actions


def actions_of(handler_module: str) -> dict[str, set[str]]:
    """IAM action -> the modules that may call it, for everything a handler can reach."""
    found: dict[str, set[str]] = {}
    for module, live in sorted(live_code(reachable(handler_module), handler_module).items()):
        for action in calls_in(live):
            found.setdefault(action, set()).add(module)
    return found


def uses_table(handler_module: str) -> bool:
    """Whether the handler reaches the table's repository (pynamodb: no boto3 client to read)."""
    return any(m.startswith("affiche.store") for m in reachable(handler_module))
