"""Bases of every message model.

Within a major version a schema may only grow (new optional fields, new enum members
announced). ``schema_version`` is ``"<major>.<minor>"``: the major is the ``v<N>`` of the
subject, the minor counts compatible revisions and is exported into the JSON Schema.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

#: A due date counted over a year whose official working-day calendar (the State Council's
#: 调休 arrangement) is not out yet: computed from the statutory holidays alone, recomputed
#: when the official year arrives, and a ``deadline_changed`` fact is published if it moves.
DueProvisional = Annotated[bool, Field(
    description="期限按临时工作日历推算 (次年放假安排未公布, 未含调休): 正式日历公布后重新计算, "
    "如有变动另行发布期限调整 (deadline_changed)")]


class ContractModel(BaseModel):
    """A model that crosses the bus."""

    schema_version: ClassVar[str] = "1.0"

    model_config = ConfigDict(
        frozen=True,
        populate_by_name=True,
        str_strip_whitespace=True,
        use_enum_values=False,
    )

    @classmethod
    def major_version(cls) -> int:
        return int(cls.schema_version.split(".", 1)[0])


class Command(ContractModel):
    """An instruction to one service (imperative name: ``RegisterIncoming``).

    Unknown fields are refused: a misspelt field in a command is a mistake the sender must
    hear about, not something to drop silently.
    """

    model_config = ConfigDict(extra="forbid")


class Query(ContractModel):
    """A question to one service; it changes nothing."""

    model_config = ConfigDict(extra="forbid")


class Reply(ContractModel):
    """The answer to a command or a query.

    Readers ignore fields they do not know, so a reply may grow within its major version.
    """

    model_config = ConfigDict(extra="ignore")


class Event(ContractModel):
    """A fact a service publishes (past tense: ``DocumentIssued``).

    Readers ignore fields they do not know, so an event may grow within its major version.
    """

    model_config = ConfigDict(extra="ignore")


class Page(Query):
    """Pagination of list queries (``limit`` at most 200)."""

    offset: int = 0
    limit: int = 50
