"""Departments as subscribers of the bus: their codes, and the copies of the facts addressed
to them.

A department's system subscribes to "work assigned to us" (承办, 传阅, 催办, 逾期, 分办 …).
A contract says which facts are addressed to which departments (``Event.addressed_to``, by
the names the bodies carry: 财政局); the repository writes, with the fact, one copy per
department on ``gov.dept.<code>.<service>.<entity>.<fact>.v<N>`` (stream ``GOV_DEPARTMENTS``)
into the aggregate's outbox, in the same write as the state: the relay publishes the copies
like any entry, so a department misses nothing the fact's own subscribers get. deploy/nats
gives each department a user that reads ``gov.dept.<its code>.>`` and nothing else.

A subject token needs an ASCII code. The operator's directory (``GOVBUS_DEPARTMENTS_FILE``,
JSON ``{"财政局": "czj", …}``) names them; a department not in it gets a code derived from
its name (``d`` + 10 characters of the base32 of its SHA-256), the same in every process, so
no fact is held back for want of configuration. ``govbus departments code 财政局`` prints a
department's code. Every service must read the same file: a department's subjects are where
the services put them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govbus_contracts.base import Event
from govbus_contracts.envelope import H_MSG_ID
from govbus_contracts.registry import EventSpec
from govbus_contracts.subjects import DEPARTMENT_CODE, DEPARTMENTS_STREAM

#: The kinds of ``gov.<service>.<kind>.…``: a department coded so would sit where a permission
#: such as ``gov.*.cmd.>`` (the gateway's) reaches; derived codes never are.
RESERVED_CODES = frozenset({"cmd", "qry", "evt"})
#: What a derived code looks like; an operator's code may not look like one (unless it is its
#: own name's), or it could be another department's derived code.
DERIVED_CODE = re.compile(r"^d[a-z2-7]{10}$")


class DepartmentsFileError(ValueError):
    """The operator's departments file cannot be used: the service does not start with it."""


def derived_code(name: str) -> str:
    """The code of a department the directory does not name: stable across processes and
    releases (50 bits of its name's SHA-256, base32 in lower case)."""
    digest = hashlib.sha256(name.strip().encode()).digest()
    return "d" + base64.b32encode(digest).decode().lower()[:10]


@dataclass(frozen=True)
class DepartmentDirectory:
    """Department names to subject codes: the operator's, else derived."""

    codes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems: list[str] = []
        seen: dict[str, str] = {}
        for name, code in self.codes.items():
            if not name.strip() or name != name.strip():
                problems.append(f"{name!r}: a department's name without surrounding spaces")
            if not DEPARTMENT_CODE.match(code):
                problems.append(f"{name}: code {code!r} must match {DEPARTMENT_CODE.pattern}")
            elif code in RESERVED_CODES:
                problems.append(f"{name}: code {code!r} is reserved (cmd, qry, evt)")
            elif DERIVED_CODE.match(code) and code != derived_code(name):
                problems.append(f"{name}: code {code!r} looks like the derived code of another "
                                "department; choose another")
            elif code in seen or password_variable(code) in seen:
                # Two departments on one code (or one password) would read each other's work.
                other = seen.get(code) or seen[password_variable(code)]
                problems.append(f"{name} and {other} share code {code!r} (or its password "
                                f"variable {password_variable(code)})")
            seen.setdefault(code, name)
            seen.setdefault(password_variable(code), name)
        if problems:
            raise DepartmentsFileError("; ".join(problems))

    @classmethod
    def from_file(cls, path: Path | None) -> DepartmentDirectory:
        if path is None:
            return cls()
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DepartmentsFileError(f"{path}: {exc}") from exc
        if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise DepartmentsFileError(f'{path}: a JSON object {{"财政局": "czj", …}} expected')
        try:
            return cls(data)
        except DepartmentsFileError as exc:
            raise DepartmentsFileError(f"{path}: {exc}") from exc

    def code(self, name: str) -> str:
        name = name.strip()
        return self.codes.get(name) or derived_code(name)

    def codes_of(self, names: Iterable[str]) -> list[str]:
        """The codes of ``names``, each once, in order (two names, one code: one copy)."""
        return list(dict.fromkeys(self.code(n) for n in names if n.strip()))

    def copies(self, spec: EventSpec, body: Event, entry: Mapping[str, Any],
               ) -> list[dict[str, Any]]:
        """The outbox entries of the copies of one fact (``entry``, as the repository wrote
        it) for the departments its body is addressed to: the same body and CloudEvents
        headers (``ce-id`` is the fact's), on the department's subject and stream, with a
        ``Nats-Msg-Id`` of their own (the fact's id and the code) so that a republished
        copy is de-duplicated like the fact."""
        out = []
        for code in self.codes_of(body.addressed_to()):
            headers = {**entry["headers"], H_MSG_ID: copy_message_id(entry["id"], code)}
            out.append({**entry, "subject": spec.department_subject(code),
                        "stream": DEPARTMENTS_STREAM, "headers": headers})
        return out


def copy_message_id(event_id: str, code: str) -> str:
    return f"{event_id}.{code}"


def nats_user(code: str) -> str:
    """The NATS user of a department's system (deploy/nats), its durable consumer's name
    and its inbox token alike."""
    if not DEPARTMENT_CODE.match(code):
        raise ValueError(f"department code {code!r} must match {DEPARTMENT_CODE.pattern}")
    return f"dept-{code}"


def password_variable(code: str) -> str:
    """The nats-server environment variable holding that user's password."""
    return "GOVBUS_NATS_PW_DEPT_" + code.upper().replace("-", "_")


def nats_user_block(name: str, code: str) -> str:
    """The user of department ``name`` (code ``code``) for the ``users`` list of
    deploy/nats/accounts.conf: its own durable pull consumer on GOV_DEPARTMENTS, filtered
    inside ``gov.dept.<code>.>`` (NATS 2.10+ puts the filter in the API subject, so the
    permission fences it: another filter, or none, is refused), live messages of its own
    subjects, its own inbox; nothing else: no publishing on gov.>, no other consumer or
    stream, no stream management, no direct get."""
    user = nats_user(code)
    consumer = f"{DEPARTMENTS_STREAM}.{user}"
    return f"""\
      # ---- {name}: department {code} ----
      {{
        user: {user}
        password: ${password_variable(code)}
        permissions: {{
          publish: {{
            allow: [
              "$JS.API.CONSUMER.CREATE.{consumer}.gov.dept.{code}.>"
              "$JS.API.CONSUMER.INFO.{consumer}"
              "$JS.API.CONSUMER.MSG.NEXT.{consumer}"
              "$JS.ACK.{consumer}.>"
            ]
          }}
          subscribe: {{
            allow: [
              "gov.dept.{code}.>"
              "_INBOX.{user}.>"
            ]
          }}
        }}
      }}
"""


__all__ = ["DepartmentDirectory", "DepartmentsFileError", "copy_message_id", "derived_code",
           "nats_user", "nats_user_block", "password_variable"]
