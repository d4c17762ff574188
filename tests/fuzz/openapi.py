"""Schemathesis over an in-process ASGI app: load its OpenAPI spec, send generated requests."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import strategies as st
from schemathesis import Case, CheckFunction, GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.core.transport import Response
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

__all__ = [
    "MODES",
    "assert_documented",
    "assert_no_server_error",
    "labels",
    "load_schema",
    "operation",
    "strategy",
]

MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


def load_schema(app: FastAPI) -> BaseSchema:
    """The app's own OpenAPI spec, bound to the app (requests go in-process)."""
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def labels(schema: BaseSchema) -> list[str]:
    """Every operation of the spec, as `METHOD /path` (an unreadable one fails the test)."""
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"unreadable operation in the spec: {result.err()}")
        found.append(result.ok().label)
    return sorted(found)


def operation(schema: BaseSchema, label: str) -> APIOperation[Any, Any, Any, Any]:
    """The operation `METHOD /path`."""
    method, path = label.split(" ", 1)
    return schema[path][method]


def strategy(schema: BaseSchema, label: str, mode: GenerationMode) -> st.SearchStrategy[Case[Any]]:
    """Requests for one operation, fitting its spec (positive) or not (negative)."""
    return operation(schema, label).as_strategy(generation_mode=mode)


def assert_no_server_error(case: Case[Any], response: Response) -> None:
    """Never a 5xx; a success also matches its documented schema and media type."""
    assert response.status_code < 500, (
        f"{response.status_code} for {case.as_curl_command()}\n{response.text[:2000]}"
    )
    if response.status_code < 400:
        _validate(case, response, [response_schema_conformance, content_type_conformance])


def assert_documented(case: Case[Any], response: Response) -> None:
    """Every response, errors included, has a documented status, media type and schema."""
    checks = [status_code_conformance, content_type_conformance, response_schema_conformance]
    _validate(case, response, checks)


def _validate(case: Case[Any], response: Response, checks: list[CheckFunction]) -> None:
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as failures:  # a BaseExceptionGroup: make it a plain test failure
        raise AssertionError(str(failures)) from failures
