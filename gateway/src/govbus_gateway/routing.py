"""Routes as data: each forwards one command or query of a contract.

    route(REGISTER_INCOMING, "POST", "/documents/incoming", roles={Role.registrar}, status=201)
    route(SIGN_OFF_OUTGOING, "POST", "/documents/outgoing/{id}/sign-off", roles={Role.signer})

Roles are the members of the service's ``Role`` enum in its contracts, never restated strings.

Path parameters and the JSON body (POST) or the query string (GET) together make the
command or query model; the operationId is the command's or query's name.

A route whose reply carries a file (base64 in one field) answers with the file itself:

    route(EXPORT_ANNUAL_REPORT, "GET", "/disclosure/reports/{year}/xlsx", roles=...,
          download=DownloadSpec(field="content_base64", media_type=XLSX,
                                filename_field="filename"))
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Literal

from govbus_contracts.registry import CommandSpec, QuerySpec


@dataclass(frozen=True)
class DownloadSpec:
    """The reply's ``field`` (base64) becomes the response body, sent as ``media_type`` (or
    the reply's ``media_type_field``) with ``Content-Disposition: attachment`` named by the
    reply's ``filename_field`` (or ``filename``)."""

    field: str
    media_type: str = "application/octet-stream"
    filename_field: str | None = None
    filename: str = "download"
    media_type_field: str | None = None


@dataclass(frozen=True)
class Route:
    spec: CommandSpec | QuerySpec
    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str  # below /api/v1
    roles: frozenset[str] = field(default_factory=frozenset)
    public: bool = False  # citizens without an account may call it (rate-limited)
    status: int = 200
    summary: str = ""
    tags: tuple[str, ...] = ()
    download: DownloadSpec | None = None  # answer with a file from the reply, not its JSON
    # Seconds to wait for the service; None: GOVBUS_REQUEST_TIMEOUT_SECONDS. For the few
    # queries that read a whole year's records (the annual report).
    timeout: float | None = None

    def __post_init__(self) -> None:
        if not self.public and not self.roles:
            raise ValueError(f"route {self.method} {self.path} needs roles or public=True")
        if not self.path.startswith(f"/{self.spec.service}/"):
            raise ValueError(f"route {self.path} must live under /{self.spec.service}/")

    @property
    def operation_id(self) -> str:
        return self.spec.name

    @property
    def is_command(self) -> bool:
        return isinstance(self.spec, CommandSpec)


def route(spec: CommandSpec | QuerySpec, method: Literal["GET", "POST", "PUT", "DELETE"],
          path: str, *, roles: AbstractSet[str] | None = None, public: bool = False,
          status: int | None = None, summary: str = "", **extra: Any) -> Route:
    return Route(
        spec, method, path, frozenset(roles or ()), public,
        status or (201 if method == "POST" and extra.get("creates") else 200),
        summary, tuple(extra.get("tags", (spec.service,))), extra.get("download"),
        extra.get("timeout"),
    )
