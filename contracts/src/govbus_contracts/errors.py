"""The error reply every command and query may answer instead of its reply model.

Codes are stable: integrators switch on them; the gateway maps them to HTTP statuses.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorCode(StrEnum):
    validation_failed = "validation_failed"
    unauthenticated = "unauthenticated"
    forbidden = "forbidden"
    not_found = "not_found"
    conflict = "conflict"
    invalid_transition = "invalid_transition"
    deadline_passed = "deadline_passed"
    idempotency_key_reused = "idempotency_key_reused"
    payload_too_large = "payload_too_large"
    rate_limited = "rate_limited"
    unavailable = "unavailable"
    #: the service is saturated (its bounded queue is full): nothing was done; retry after
    #: ``details.retry_after`` seconds
    overloaded = "overloaded"
    timeout = "timeout"
    #: the caller's deadline (header ``govbus-deadline``) had passed before the service
    #: started the request: nothing was done
    expired = "expired"
    internal = "internal"


class ErrorBody(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: ErrorCode = Field(description="stable machine code")
    message: str = Field(description="what went wrong, for a person")
    details: dict[str, Any] = Field(default_factory=dict, description="structured particulars")


class ErrorReply(BaseModel):
    """``{"error": {"code": ..., "message": ..., "details": {...}}}``."""

    model_config = ConfigDict(frozen=True)

    error: ErrorBody


class GovbusError(Exception):
    """An error with a stable code, raised inside a service and answered as ``ErrorReply``."""

    def __init__(self, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def to_reply(self) -> ErrorReply:
        body = ErrorBody(code=self.code, message=self.message, details=self.details)
        return ErrorReply(error=body)

    @classmethod
    def from_reply(cls, reply: ErrorReply) -> GovbusError:
        return cls(reply.error.code, reply.error.message, **reply.error.details)
