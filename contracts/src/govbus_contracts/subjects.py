"""Subject names.

``gov.<service>.cmd|qry.<name>.v<N>`` and ``gov.<service>.evt.<entity>.<fact>.v<N>``; a
department's copy of a fact addressed to it, ``gov.dept.<code>.<service>.<entity>.<fact>.v<N>``.
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
#: Copies of the facts addressed to departments, one subject tree per department's code, so
#: that NATS permissions can let a department's system read its own (``gov.dept.<code>.>``).
DEPARTMENTS_STREAM = "GOV_DEPARTMENTS"
DEPARTMENTS_PREFIX = "gov.dept"
#: Second tokens of ``gov.`` that are not services: a service of that name would publish
#: into another stream's subjects (``gov.dept.evt.>`` inside ``gov.dept.>``).
RESERVED_SERVICE_NAMES = frozenset({"dept", "dlq"})
#: A department's code: one subject token, readable in a NATS permission.
DEPARTMENT_CODE = re.compile(r"^[a-z0-9_-]{1,32}$")


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


def department_subject(code: str, fact_subject: str) -> str:
    """Where department ``code`` finds its copy of a fact: ``gov.dept.<code>.<service>.
    <entity>.<fact>.v<N>`` (``gov.dept.czj.documents.incoming.assigned.v1``)."""
    if not DEPARTMENT_CODE.match(code):
        raise ValueError(f"department code {code!r} must match {DEPARTMENT_CODE.pattern}")
    parts = SUBJECT_RE.match(fact_subject)
    if parts is None or parts["fact"] is None:
        raise ValueError(f"{fact_subject!r} is not a fact's subject")
    return (f"{DEPARTMENTS_PREFIX}.{code}.{parts['service']}.{parts['entity']}.{parts['fact']}"
            f".v{parts['version']}")


def department_wildcard(code: str) -> str:
    """Everything addressed to department ``code``."""
    if not DEPARTMENT_CODE.match(code):
        raise ValueError(f"department code {code!r} must match {DEPARTMENT_CODE.pattern}")
    return f"{DEPARTMENTS_PREFIX}.{code}.>"
