"""The envelope: CloudEvents 1.0 attributes in binary mode over NATS headers.

``Nats-Msg-Id`` equals ``ce-id`` so JetStream drops a republished duplicate; correlation and
causation ids follow a piece of work across services.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

SPECVERSION = "1.0"
H_ID = "ce-id"
H_SOURCE = "ce-source"
H_TYPE = "ce-type"
H_SPECVERSION = "ce-specversion"
H_TIME = "ce-time"
H_SUBJECT = "ce-subject"
H_DATASCHEMA = "ce-dataschema"
H_CORRELATION = "ce-correlationid"
H_CAUSATION = "ce-causationid"
H_CONTENT_TYPE = "content-type"
H_MSG_ID = "Nats-Msg-Id"
#: who asks (commands and queries only): the claims of a ``Principal`` as a compact JWS
#: (EdDSA) signed by the gateway and bound to the message (govbus_kit.principal).
H_PRINCIPAL = "govbus-principal"
#: reply status: ``ok`` or ``error`` (then the body is an ``ErrorReply``).
H_STATUS = "govbus-status"
#: the caller's deadline (commands and queries): an ISO-8601 UTC instant with milliseconds,
#: e.g. ``2026-12-02T08:30:05.250Z``. A service does not start a request whose deadline has
#: passed (its caller has already given up): it answers ``expired`` and does nothing, so a
#: backlog after an outage drains instead of compounding. Clocks of caller and service are
#: assumed NTP-synchronised; a request without the header has no deadline.
H_DEADLINE = "govbus-deadline"


def new_id() -> str:
    return str(uuid.uuid4())


def deterministic_id(*parts: str) -> str:
    """An id that every replica computes alike (reminders, overdue facts, derived ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "govbus:" + "/".join(parts)))


class Principal(BaseModel):
    """Who acts: a member of staff (roles, department) or the public (no roles)."""

    model_config = ConfigDict(frozen=True)

    subject: str = Field(description="user id from the identity provider, or 'anonymous'")
    name: str | None = Field(default=None, description="display name (姓名)")
    roles: frozenset[str] = Field(default_factory=frozenset)
    department: str | None = Field(default=None, description="department code (部门)")

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(subject="anonymous")

    @classmethod
    def system(cls, service: str) -> Principal:
        return cls(subject=f"system:{service}", roles=frozenset({"system"}))

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class Envelope(BaseModel):
    """CloudEvents context attributes of one message."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_id)
    source: str
    type: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    dataschema: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None

    def to_headers(self) -> dict[str, str]:
        headers = {
            H_ID: self.id,
            H_MSG_ID: self.id,
            H_SOURCE: self.source,
            H_TYPE: self.type,
            H_SPECVERSION: SPECVERSION,
            H_TIME: self.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            H_CONTENT_TYPE: "application/json",
            H_CORRELATION: self.correlation_id or self.id,
        }
        if self.subject:
            headers[H_SUBJECT] = self.subject
        if self.dataschema:
            headers[H_DATASCHEMA] = self.dataschema
        if self.causation_id:
            headers[H_CAUSATION] = self.causation_id
        return headers

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Envelope:
        missing = [h for h in (H_ID, H_SOURCE, H_TYPE) if not headers.get(h)]
        if missing:
            raise ValueError(f"message lacks CloudEvents headers {missing}")
        time = headers.get(H_TIME)
        return cls(
            id=headers[H_ID],
            source=headers[H_SOURCE],
            type=headers[H_TYPE],
            time=datetime.fromisoformat(time.replace("Z", "+00:00")) if time else datetime.now(UTC),
            subject=headers.get(H_SUBJECT),
            dataschema=headers.get(H_DATASCHEMA),
            correlation_id=headers.get(H_CORRELATION),
            causation_id=headers.get(H_CAUSATION),
        )
