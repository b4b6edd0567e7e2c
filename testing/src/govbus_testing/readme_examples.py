"""Every example of every README, found and classified, and the rules that check them.

A README is a promise to its reader: each fenced block (and each `govbus …`, `make …`,
`curl …` command written inline) is either **run** by ``tests/test_readme_examples.py``
against the test stack, or **checked** mechanically where it cannot run here (a Kubernetes
cluster, Docker Compose, a MongoDB replica set). The README says which, with an invisible
marker on the line before the block::

    <!-- example: run -->
    <!-- example: run: ID is a dead letter the test makes -->
    <!-- example: check: kubectl needs a cluster; the files and objects it names exist -->
    <!-- example: illustration: a picture of the topology, nothing to run -->

A block without a marker fails the suite, so a new example is run or consciously checked.
Inline commands need no marker: they are checked (the ``govbus`` subcommand and its
options exist, the ``make`` target exists, the route exists); a marker
``<!-- example: run -->`` right before one runs it instead.

This module only reads and parses; the test module runs and asserts.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
KINDS = ("run", "check", "illustration")
MARKER = re.compile(r"<!--\s*example:\s*(?P<kind>[a-z]+)\s*(?::\s*(?P<reason>.*?))?\s*-->")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<lang>[^`\s]*)\s*$")
INLINE = re.compile(r"(?P<marker><!--[^>]*-->\s*)?`(?P<code>[^`]+)`")
#: programs whose inline mention is an example to check (the span must hold arguments)
COMMANDS = ("govbus", ".venv/bin/govbus", "make", "curl", "kubectl", "docker", ".venv/bin/python")
INLINE_COMMAND = re.compile(
    r"^(?:[A-Z][A-Z0-9_]*=\S+\s+)*(?:" + "|".join(re.escape(c) for c in COMMANDS) + r")\s+\S")


def readmes() -> list[Path]:
    """The repository's READMEs (what git tracks; not .venv's, not var/'s)."""
    return sorted(p for p in ROOT.rglob("README.md")
                  if not any(part.startswith(".") or part in {"var", "node_modules"}
                             for part in p.relative_to(ROOT).parts))


@dataclass(frozen=True)
class Example:
    readme: str  # path relative to the repository
    line: int  # 1-based line of the opening fence (or of the inline span)
    lang: str  # the fence's info string ("sh", "json", "js", ""), "inline" for a span
    text: str
    kind: str | None  # run | check | illustration; None: the README did not say
    reason: str = ""

    @property
    def id(self) -> str:
        return f"{self.readme}:{self.line}"

    @property
    def inline(self) -> bool:
        return self.lang == "inline"


def _marker(line: str) -> tuple[str | None, str]:
    found = MARKER.search(line)
    if not found:
        return None, ""
    return found["kind"], (found["reason"] or "").strip()


def examples(path: Path) -> list[Example]:
    """The fenced blocks of one README with their markers, then its inline commands."""
    rel = str(path.relative_to(ROOT))
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Example] = []
    prose = list(lines)  # the text outside the fences (fenced lines blanked)
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        kind, reason = _marker(lines[j]) if j >= 0 else (None, "")
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        k = i + 1
        while k < len(lines) and not re.match(rf"^\s*{re.escape(fence)}\s*$", lines[k]):
            body.append(lines[k][indent:] if lines[k][:indent].isspace() else lines[k])
            k += 1
        found.append(Example(rel, i + 1, opening["lang"], "\n".join(body) + "\n", kind, reason))
        prose[i:k + 1] = [""] * (min(k + 1, len(lines)) - i)
        i = k + 1
    text = "\n".join(prose)
    for span in INLINE.finditer(text):
        # A span may wrap onto the next line of its paragraph.
        code = " ".join(span["code"].split())
        if not INLINE_COMMAND.match(code):
            continue
        kind, reason = _marker(span["marker"] or "")
        found.append(Example(rel, text.count("\n", 0, span.start("code")) + 1, "inline", code,
                             kind or "check", reason or "an inline command: checked by default"))
    return found


def all_examples() -> list[Example]:
    return [e for path in readmes() for e in examples(path)]


# --- shell lines --------------------------------------------------------------------------


@dataclass
class Step:
    """One logical shell line: an optional ``NAME=$(…)`` capture, the commands of its
    pipeline (``a | b``), and what the README says it answers (``# → 201 …``)."""

    line: int
    source: str
    capture: str | None
    pipeline: list[list[str]]
    expect: str = ""
    chained: list[Step] = field(default_factory=list)  # `a && b`: b after a


def strip_comments(text: str) -> str:
    """Drop sh comments: a ``#`` that starts a word outside quotes, to the end of its line
    (shlex would also cut ``a#b`` in the middle of a word)."""
    out: list[str] = []
    quote, i = "", 0
    while i < len(text):
        c = text[i]
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or text[i - 1].isspace()):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _complete(text: str) -> bool:
    if text.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(strip_comments(text))
    except ValueError:  # an open quote: the command goes on on the next line
        return False
    return True


def expand(text: str, variables: dict[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` of the given variables, outside single quotes (as sh)."""
    out, quoted, i = [], False, 0
    while i < len(text):
        c = text[i]
        if c == "'":
            quoted = not quoted
        if c == "$" and not quoted:
            m = re.match(r"\$(?:\{(\w+)\}|(\w+))", text[i:])
            if m and (m[1] or m[2]) in variables:
                out.append(variables[m[1] or m[2]])
                i += m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def split_words(command: str) -> list[list[str]]:
    """A simple command line as its pipeline, split on ``|`` words (after shlex)."""
    pipeline: list[list[str]] = [[]]
    for word in shlex.split(strip_comments(command)):
        if word == "|":
            pipeline.append([])
        else:
            pipeline[-1].append(word)
    return [p for p in pipeline if p]


def steps(text: str, first_line: int = 1, variables: dict[str, str] | None = None
          ) -> Iterator[Step]:
    """The logical lines of a shell block: continuation lines joined, comments dropped,
    ``$VAR`` expanded from ``variables`` (which a caller may fill as it runs)."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start, chunk = i, lines[i]
        while not _complete(chunk) and i + 1 < len(lines):
            i += 1
            chunk = chunk.rstrip().removesuffix("\\") + "\n" + lines[i]
        i += 1
        if not shlex.split(strip_comments(chunk)):
            continue
        expect = ""
        if i < len(lines) and (m := re.match(r"^\s*#\s*→\s*(.*)$", lines[i])):
            expect = m[1].strip()
        yield from _parse(chunk, first_line + start, expect, variables or {})


def _parse(chunk: str, line: int, expect: str, variables: dict[str, str]) -> Iterator[Step]:
    text = expand(chunk, variables)
    capture = None
    m = re.match(r"^\s*([A-Za-z_]\w*)=\$\((.*)\)\s*(#.*)?$", text, re.S)
    if m:
        capture, text = m[1], m[2]
    parts = [p for p in re.split(r"\s&&\s", text) if p.strip()]
    first = Step(line, chunk, capture, split_words(parts[0]), expect)
    first.chained = [Step(line, chunk, None, split_words(p)) for p in parts[1:]]
    yield first


def jq(value: object, program: str) -> object:
    """The ``jq -r .a.b`` a README may pipe a reply through: a path of keys."""
    for key in filter(None, program.lstrip(".").split(".")):
        assert isinstance(value, dict) and key in value, f"jq {program}: no {key} in {value!r}"
        value = value[key]
    return value


# --- curl ---------------------------------------------------------------------------------


@dataclass
class Curl:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None


def parse_curl(argv: list[str]) -> Curl:
    assert argv[0] == "curl", argv
    method, url, headers, body = None, None, {}, None
    words = iter(argv[1:])
    for word in words:
        if word in ("-X", "--request"):
            method = next(words)
        elif word in ("-H", "--header"):
            name, _, value = next(words).partition(":")
            headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-raw", "--data-binary"):
            body = next(words)
        elif word in ("-s", "-S", "-sS", "-f", "-i", "--silent", "--show-error", "--fail"):
            continue
        elif word.startswith("-"):
            raise AssertionError(f"curl option {word} is not understood by the README runner")
        else:
            url = word if "://" in word else "http://" + word
    assert url, f"curl without a URL: {argv}"
    return Curl(method or ("POST" if body is not None else "GET"), url, headers, body)


def citizen_request_body() -> dict[str, Any]:
    """The ``-d '…'`` of the root README's curl to /api/v1/disclosure/requests."""
    for example in all_examples():
        if example.readme == "README.md" and example.kind == "run":
            for step in steps(example.text, example.line):
                for words in step.pipeline:
                    if words[0] == "curl":
                        request = parse_curl(words)
                        if request.url.endswith("/api/v1/disclosure/requests"):
                            assert request.body is not None
                            body: dict[str, Any] = json.loads(request.body)
                            return body
    raise AssertionError("the README no longer shows the citizen's request")
