"""Subject names.

``gov.<service>.cmd|qry.<name>.v<N>`` and ``gov.<service>.evt.<entity>.<fact>.v<N>``.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"^[a-z][a-z0-9_]*$")
SUBJECT_RE = re.compile(
    r"^gov\.(?P<service>[a-z][a-z0-9_]*)\."
    r"(?:(?P<kind>cmd|qry)\.(?P<name>[a-z][a-z0-9_]*)"
    r"|evt\.(?P<entity>[a-z][a-z0-9_]*)\.(?P<fact>[a-z][a-z0-9_]*))"
    r"\.v(?P<version>[1-9][0-9]*)$"
)

ROOT = "gov"
DLQ_STREAM = "GOV_DLQ"
DLQ_PREFIX = "gov.dlq"


def _check(*tokens: str) -> None:
    for token in tokens:
        if not _TOKEN.match(token):
            raise ValueError(f"subject token {token!r} must match {_TOKEN.pattern}")


def command_subject(service: str, command: str, version: int = 1) -> str:
    _check(service, command)
    return f"{ROOT}.{service}.cmd.{command}.v{version}"


def query_subject(service: str, query: str, version: int = 1) -> str:
    _check(service, query)
    return f"{ROOT}.{service}.qry.{query}.v{version}"


def event_subject(service: str, entity: str, fact: str, version: int = 1) -> str:
    _check(service, entity, fact)
    return f"{ROOT}.{service}.evt.{entity}.{fact}.v{version}"


def events_wildcard(service: str) -> str:
    """Everything a service publishes as facts: the subjects of its stream."""
    _check(service)
    return f"{ROOT}.{service}.evt.>"


def stream_name(service: str) -> str:
    """One JetStream stream per publishing service: ``GOV_<SERVICE>``."""
    _check(service)
    return f"GOV_{service.upper()}"


def dlq_subject(service: str, consumer: str, original_subject: str) -> str:
    """Where a message that exhausted its tries goes (stream ``GOV_DLQ``).

    The consuming service is a token of its own so that NATS permissions can let each
    service publish dead letters of its own consumers only (``gov.dlq.<service>.>``).
    """
    _check(service, consumer.replace("-", "_"))
    return f"{DLQ_PREFIX}.{service}.{consumer}.{original_subject}"
