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


# --- bounds of what a client sends ------------------------------------------------------
# Every string, list and number of a command or query has a bound an office never reaches
# and an attacker cannot exceed (issue 9: 20 000 departments made a 3.6 MB document that
# slowed every list; an offset of 10^20 overflowed the database driver). The exported
# schemas carry them; ``contracts/tests/test_bounds.py`` fails on a field without one.

#: an id the services make (a UUID: 36 characters) or a client's reference
InputId = Annotated[str, Field(min_length=1, max_length=64)]
#: a department's name or code (承办部门, 协办部门, 传阅部门)
DepartmentName = Annotated[str, Field(min_length=1, max_length=100)]
#: departments or people named by one step (协办部门, 传阅对象): no office has more
MAX_DEPARTMENTS = 50
#: a line of free text: a name, a reason, a note on an attachment
ShortText = Annotated[str, Field(max_length=500)]
#: an opinion, an instruction, remarks
Remarks = Annotated[str, Field(max_length=5000)]
#: a working-day period a step states (补正, 延长, 缴费): a year of working days at most
WorkingDays = Annotated[int, Field(ge=1, le=250)]
#: a year of the office's records
Year = Annotated[int, Field(ge=1949, le=2999)]
#: the first item of a page: past 100 000 a list is searched, not paged
Offset = Annotated[int, Field(ge=0, le=100_000)]
#: items of a page
Limit = Annotated[int, Field(ge=1, le=200)]


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

    def addressed_to(self) -> list[str]:
        """The departments (by name, as the body names them) this fact is addressed to: each
        gets a copy on a subject of its own, ``gov.dept.<code>.<service>.<entity>.<fact>.v<N>``
        (stream ``GOV_DEPARTMENTS``), which its system may read and nobody else's. A fact
        addressed to departments says so by overriding this; most are addressed to none."""
        return []

    @classmethod
    def is_addressed(cls) -> bool:
        """Whether facts of this model may be addressed to departments."""
        return cls.addressed_to is not Event.addressed_to


class Page(Query):
    """Pagination of list queries (``limit`` at most 200, ``offset`` at most 100 000)."""

    offset: Offset = 0
    limit: Limit = 50
