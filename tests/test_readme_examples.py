"""Every README example is run against the test stack or checked, so a README cannot drift.

The examples and their markers are found by ``readme_examples`` (its docstring says how a
README marks a block). What runs here: a ``curl`` through the gateway (the app over ASGI,
the documents and disclosure services in one Host on the session's real servers), parsed
as a reader's shell would (method, URL, headers, ``-d`` body, ``$VAR`` from earlier steps,
``| jq -r .field``), answering the status its ``# → …`` line shows or a 2xx; a ``govbus``
command as the CLI in a process of its own on the same servers, exiting 0 with what its
``# → …`` line shows. What cannot run here (Docker Compose, Kubernetes, a MongoDB replica
set) is checked: every command's files, services, objects, targets, subcommands and options
exist; YAML and JSON parse; JavaScript parses; a calendar loads; MongoDB URLs parse with
their options; every ``GOVBUS_*`` variable is a setting; the NATS configuration the deploy
guide describes is valid with the variables it documents.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import typer
import yaml

from govbus_contracts.envelope import Envelope
from govbus_contracts.services.documents.outgoing import OUTGOING_DISPATCHED
from govbus_disclosure.plugin import service as disclosure
from govbus_documents.plugin import service as documents
from govbus_gateway.app import create_app
from govbus_gateway.settings import GatewaySettings
from govbus_kit.periods import load_periods
from govbus_kit.settings import Settings
from govbus_testing import IsolatedSettings, eventually, running
from govbus_testing import readme_examples as rx

ROOT = rx.ROOT
#: the example service the kit's README walks through: written there, installed nowhere
EXAMPLE_SERVICE = "seals"
EXAMPLES = rx.all_examples()
SERVICES = ("documents", "supervision", "complaints", "tendering", "disclosure", "appraisal")


def ids(examples: list[rx.Example]) -> list[str]:
    return [e.id for e in examples]


# --- classification --------------------------------------------------------------------


def test_the_readmes_hold_examples_at_all():
    fenced = [e for e in EXAMPLES if not e.inline]
    assert len(fenced) >= 15 and any(e.kind == "run" for e in fenced), [e.id for e in fenced]


@pytest.mark.parametrize("example", EXAMPLES, ids=ids(EXAMPLES))
def test_every_example_is_marked_run_or_check_with_its_reason(example):
    assert example.kind in rx.KINDS, (
        f"{example.id}: this {example.lang or 'plain'} block has no marker; put "
        "<!-- example: run --> or <!-- example: check: <why it cannot run here> --> on the "
        "line before it (see tests/readme_examples.py)")
    if example.kind != "run":
        assert example.reason, f"{example.id}: '{example.kind}' needs its reason in the marker"


# --- the CLI, the Makefile, the deploy files --------------------------------------------


@cache
def cli() -> Any:
    """The click command behind ``govbus --help`` (typer's own copy of click)."""
    from govbus_ops.cli import app

    return typer.main.get_command(app)


def is_group(command: Any) -> bool:
    return hasattr(command, "commands")


def check_govbus(words: list[str], where: str) -> None:
    """A ``govbus`` command line, written as a shell command or as usage
    (``govbus calendar show YEAR [--json]``, ``govbus infra up|down|status``): its
    subcommands and options exist, and it does not give more arguments than they take."""
    words = [w.strip("[]").removesuffix("...").removesuffix("…") for w in words]
    words = [w for w in words if w]
    command = cli()
    path = ["govbus"]
    while is_group(command) and words and not words[0].startswith("-"):
        names = words.pop(0).split("|")
        missing = [n for n in names if n not in command.commands]
        assert not missing, (f"{where}: `{' '.join(path)} {missing[0]}` is no command; "
                             f"there are {sorted(command.commands)}")
        path.append(names[0])
        command = command.commands[names[0]]
    options = {o: p for p in command.params if p.param_type_name == "option"
               for o in [*p.opts, *p.secondary_opts]}
    capacity = sum(float("inf") if p.nargs == -1 else p.nargs
                   for p in command.params if p.param_type_name == "argument")
    positional = 0
    while words:
        word = words.pop(0)
        if word.startswith("-"):
            name = word.split("=")[0]
            assert name in options, (f"{where}: `{' '.join(path)}` has no option {name}; it "
                                     f"has {sorted(options)}")
            if not options[name].is_flag and "=" not in word and words:
                words.pop(0)
        else:
            positional += 1
    assert positional <= capacity, f"{where}: `{' '.join(path)}` takes {capacity} arguments"


@cache
def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return {t for m in re.finditer(r"(?m)^([A-Za-z0-9_.\- ]+):(?!=)", text) for t in m[1].split()}


def check_make(words: list[str], where: str) -> None:
    makefile = (ROOT / "Makefile").read_text()
    for word in words[1:]:
        if "=" in word:
            name = word.split("=")[0]
            assert f"$({name})" in makefile, f"{where}: the Makefile does not use {name}"
        else:
            assert word in make_targets(), f"{where}: make has no target {word!r}"


@cache
def script_help(script: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / script), "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def check_python(words: list[str], where: str) -> None:
    script = words[1]
    assert (ROOT / script).is_file(), f"{where}: {script} does not exist"
    for word in words[2:]:
        if word.startswith("--"):
            assert re.search(rf"(?m)^\s+{re.escape(word.split('=')[0])}\b", script_help(script)), (
                f"{where}: {script} has no option {word}")


@cache
def gateway_paths() -> dict[str, set[str]]:
    spec = create_app(GatewaySettings(), secret="readme-" + "s" * 40).openapi()
    return {path: set(ops) for path, ops in spec["paths"].items()}


def check_curl(words: list[str], where: str) -> None:
    request = rx.parse_curl(words)
    path = urlsplit(request.url).path
    templates = [p for p in gateway_paths()
                 if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)), path)]
    assert templates, f"{where}: {path} is no route of the gateway"
    assert request.method.lower() in gateway_paths()[templates[0]], (
        f"{where}: {path} has no {request.method}")


@cache
def compose(file: str) -> dict[str, Any]:
    assert (ROOT / file).is_file(), f"{file} does not exist"
    loaded: dict[str, Any] = yaml.safe_load((ROOT / file).read_text())
    return loaded


def check_docker(words: list[str], where: str) -> None:
    """``docker compose -f FILE up|ps|run|exec [SERVICE COMMAND…]``: the file parses, the
    service is one of it, and the command run in it is checked in turn."""
    assert words[1] == "compose", f"{where}: only `docker compose` is checked"
    rest, file = words[2:], "compose.yaml"
    while rest and rest[0].startswith("-"):
        if rest.pop(0) == "-f":
            file = rest.pop(0)
    services = compose(file)["services"]
    action, rest = rest[0], rest[1:]
    assert action in {"up", "ps", "run", "exec", "down", "logs"}, f"{where}: compose {action}"
    if action in {"run", "exec"}:
        while rest[0].startswith("-"):
            rest.pop(0)
        service, command = rest[0], rest[1:]
        assert service in services, f"{where}: {file} has no service {service!r}"
        check_command(command, where)


@cache
def k8s_objects() -> list[dict[str, Any]]:
    """What ``kubectl apply -k deploy/k8s`` applies: the kustomization's file resources,
    with its common labels."""
    base = ROOT / "deploy/k8s"
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text())
    common = {k: v for entry in kustomization.get("labels", []) for k, v in entry["pairs"].items()}
    found = []
    for resource in kustomization["resources"]:
        if (base / resource).is_file():
            for d in yaml.safe_load_all((base / resource).read_text()):
                if isinstance(d, dict) and "metadata" in d:
                    d["metadata"]["labels"] = {**d["metadata"].get("labels", {}), **common}
                    found.append(d)
    return found


def check_kubectl(words: list[str], where: str) -> None:
    objects = k8s_objects()
    kinds = {o["kind"].lower() for o in objects}
    names = {(o["kind"].lower(), o["metadata"]["name"]) for o in objects}
    words = list(words[1:])
    while words:
        word = words.pop(0)
        if word == "--":
            check_command(words, where)
            return
        if word == "-n":
            namespace = words.pop(0)
            assert ("namespace", namespace) in names, f"{where}: no Namespace {namespace}"
        elif word == "-f":
            file = words.pop(0)
            assert (ROOT / file).is_file(), f"{where}: {file} does not exist"
            yaml.safe_load_all((ROOT / file).read_text())
        elif word == "-k":
            directory = words.pop(0)
            assert (ROOT / directory / "kustomization.yaml").is_file(), (
                f"{where}: {directory} has no kustomization.yaml")
        elif word == "-l":
            key, _, value = words.pop(0).partition("=")
            assert any(o["metadata"].get("labels", {}).get(key) == value for o in objects), (
                f"{where}: no object is labelled {key}={value}")
        elif re.fullmatch(r"[a-z]+/[a-z0-9\-]+", word):
            kind, name = word.split("/")
            assert (kind, name) in names, f"{where}: deploy/k8s has no {kind} {name}"
        elif word in kinds or word.startswith("-") or word in {
                "apply", "rollout", "status", "wait", "scale", "exec", "get", "logs"}:
            continue
        else:
            raise AssertionError(f"{where}: kubectl {word!r} is not understood by the check")


#: programs a README names that the checks do not look into, and why
EXTERNAL = {
    "echo": "prints its argument",
    "openssl": "makes a password; any openssl does",
    "chmod": "a file mode",
    "mongosh": "needs a MongoDB replica set (the compose service it runs in is checked)",
}


def check_command(words: list[str], where: str) -> None:
    while words and re.fullmatch(r"[A-Z][A-Z0-9_]*=\S*", words[0]):
        words = words[1:]
    program = words[0]
    if program in ("govbus", ".venv/bin/govbus"):
        check_govbus(words[1:], where)
    elif program == "make":
        check_make(words, where)
    elif program == ".venv/bin/python":
        check_python(words, where)
    elif program == "curl":
        check_curl(words, where)
    elif program == "docker":
        check_docker(words, where)
    elif program == "kubectl":
        check_kubectl(words, where)
    elif program == "cp":
        assert (ROOT / words[1]).is_file(), f"{where}: {words[1]} does not exist"
        assert (ROOT / words[2]).parent.is_dir(), f"{where}: no directory for {words[2]}"
    else:
        assert program in EXTERNAL, f"{where}: no check knows the program {program!r}"


def check_shell(example: rx.Example) -> None:
    for step in rx.steps(example.text, example.line):
        for command in [*step.pipeline, *(w for s in step.chained for w in s.pipeline)]:
            check_command(command, f"{example.readme}:{step.line}")


def check_usage(example: rx.Example) -> None:
    """The list of `govbus` commands: each line's command and options exist."""
    for offset, line in enumerate(example.text.splitlines()):
        if line.strip():
            usage = re.split(r"\s{2,}", line.strip())[0].split()
            assert usage[0] == "govbus", f"{example.id}: {line!r} is no govbus command"
            check_govbus(usage[1:], f"{example.readme}:{example.line + 1 + offset}")


def check_mongodb_urls(example: rx.Example) -> None:
    from pymongo.uri_parser import parse_uri

    urls = re.findall(r"mongodb(?:\+srv)?://\S+", example.text)
    assert urls, f"{example.id}: no MongoDB URL to check"
    for url in urls:
        # parse_uri validates every option; an SRV name would be resolved, so the check
        # reads it as a plain host list with the same options.
        url = url.replace("<password>", "pw").replace("mongodb+srv://", "mongodb://")
        parsed = parse_uri(url)
        given = {k.lower() for k in parsed["options"]}
        for option in ("w", "journal", "readconcernlevel", "retrywrites"):
            assert option in given, f"{example.id}: {url} lacks {option}"


def check_javascript(example: rx.Example) -> None:
    # mongosh's `use DB` is shell syntax; the rest is JavaScript, which node parses.
    script = re.sub(r"(?m)^use (\w+)$", r'db = db.getSiblingDB("\1");', example.text)
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
        f.write(script)
    try:
        result = subprocess.run(["node", "--check", f.name], capture_output=True, text=True,
                                timeout=30, check=False)
    finally:
        os.unlink(f.name)
    assert result.returncode == 0, f"{example.id}: {result.stderr}"
    for database in re.findall(r"govbus_(\w+)", example.text):
        assert database in SERVICES, f"{example.id}: govbus_{database} is no service's database"
    if "rs.initiate" in example.text:
        init = (ROOT / "deploy/mongodb/init-replica-set.js").read_text()
        members = re.search(r"MEMBERS = \[(.*?)\]", init, re.S)
        assert members, "init-replica-set.js no longer lists MEMBERS"
        assert re.findall(r'host: "([^"]+)"', example.text) == re.findall(
            r'"([^"]+)"', members[1]), f"{example.id}: not the members init-replica-set.js sets"


def govbus_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 90
               ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govbus_ops.cli", *args], cwd=ROOT,
                          env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout, check=False)


def check_json(example: rx.Example, tmp: Path) -> None:
    data = json.loads(example.text)
    if {"year", "holidays", "workdays"} <= set(data):
        # A calendar file: the services load it as the official year, as written.
        (tmp / f"{data['year']}.json").write_text(example.text, encoding="utf-8")
        shown = govbus_cli("calendar", "show", str(data["year"]), "--json",
                           env={"GOVBUS_CALENDAR_DIR": str(tmp)})
        assert shown.returncode == 0, shown.stderr
        year = json.loads(shown.stdout)
        assert year["status"] != "provisional", year
        off = {d["date"] for d in year["days_off"]}
        assert set(data["holidays"]) <= off, (data["holidays"], off)
        assert set(data["workdays"]) <= {d["date"] if isinstance(d, dict) else d
                                         for d in year.get("workdays", [])}, year
    elif data and all(isinstance(v, list) and v and all("valid_from" in x for x in v)
                      for v in data.values()):
        # A period file: the service of the README's folder loads it over its shipped table
        # and counts the new version from its day on.
        service = Path(example.readme).parent.name
        shipped = importlib.import_module(f"govbus_{service}.domain.periods").PERIODS
        (tmp / f"{service}.json").write_text(example.text, encoding="utf-8")
        table = load_periods(service, shipped, tmp)
        for name, versions in data.items():
            for version in versions:
                day = date.fromisoformat(version["valid_from"])
                assert table.in_force(name, day).amount == version["amount"], example.id


def check_toml(example: rx.Example) -> None:
    """A service's entry points: the groups the code reads, one service name, module:attr."""
    import tomllib

    from govbus_contracts import registry
    from govbus_gateway import routes
    from govbus_kit import plugins

    groups = tomllib.loads(example.text)["project"]["entry-points"]
    assert set(groups) == {registry.GROUP, routes.GROUP, plugins.GROUP}, groups
    assert len({frozenset(names) for names in groups.values()}) == 1, groups
    for names in groups.values():
        for value in names.values():
            assert re.fullmatch(r"[a-z_][\w.]*:[A-Za-z_]\w*", value), value


def example_service(name: str) -> bool:
    """A path or module of the kit README's example service."""
    return (f"govbus_{EXAMPLE_SERVICE}" in name or f"/{EXAMPLE_SERVICE}/" in name
            or name.endswith(f"services.{EXAMPLE_SERVICE}"))


def resolves(dotted: str) -> bool:
    """Whether ``govbus_kit.due.track_due`` (a module, then attributes) exists here."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def check_python_fragment(example: rx.Example) -> None:
    """A fragment of a service (it names what the README's other fragments define): it
    parses, and every name it imports exists."""
    import ast

    tree = ast.parse(example.text, filename=example.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            missing = [a.name for a in node.names if not resolves(f"{node.module}.{a.name}")]
            assert not missing, f"{example.id}: {node.module} has no {missing}"
        elif isinstance(node, ast.Import):
            missing = [a.name for a in node.names if not resolves(a.name)]
            assert not missing, f"{example.id}: no module {missing}"


#: a dotted name of the workspace at the start of a README's code span
DOTTED = re.compile(r"`(govbus_[a-z]+(?:\.[A-Za-z_]\w*)+)")


def test_the_kit_readme_names_only_what_exists():
    """The kit's README is how the next service is written: every module, class and function
    it names by its dotted path is one (the example service's own modules excepted)."""
    text = (ROOT / "kit" / "README.md").read_text(encoding="utf-8")
    names = {m[1] for m in DOTTED.finditer(text)}
    names = {n for n in names if not example_service(n)}
    assert len(names) >= 10, names
    assert not [n for n in sorted(names) if not resolves(n)]


CHECKS = [e for e in EXAMPLES if e.kind == "check"]


@pytest.mark.parametrize("example", CHECKS, ids=ids(CHECKS))
def test_an_example_that_cannot_run_here_is_checked(example, tmp_path):
    if example.lang in ("sh", "inline"):
        check_shell(example)
    elif example.lang == "json":
        check_json(example, tmp_path)
    elif example.lang in ("yaml", "yml"):
        list(yaml.safe_load_all(example.text))
    elif example.lang == "js":
        check_javascript(example)
    elif example.lang == "toml":
        check_toml(example)
    elif example.lang == "python":
        check_python_fragment(example)
    elif "mongodb://" in example.text or "mongodb+srv://" in example.text:
        check_mongodb_urls(example)
    elif example.text.lstrip().startswith("govbus "):
        check_usage(example)
    else:
        raise AssertionError(f"{example.id}: no check knows a {example.lang or 'plain'} block")


def test_the_root_readme_lists_every_govbus_command():
    usage = next(e for e in EXAMPLES if e.readme == "README.md" and e.lang == ""
                 and e.text.lstrip().startswith("govbus "))
    listed = {line.split()[1] for line in usage.text.splitlines() if line.strip()}
    assert set(cli().commands) <= listed, sorted(set(cli().commands) - listed)


# --- GOVBUS_* variables -------------------------------------------------------------------


@cache
def settings_models() -> list[Any]:
    """Every settings class of the workspace: the kit's, the gateway's, each service's."""
    import importlib

    from pydantic_settings import BaseSettings

    classes: list[Any] = [Settings, GatewaySettings]
    for path in sorted(ROOT.glob("services/*/src/*/settings.py")):
        module = importlib.import_module(f"{path.parent.name}.settings")
        classes += [c for c in vars(module).values() if isinstance(c, type)
                    and issubclass(c, BaseSettings) and c is not BaseSettings]
    return classes


def settings_classes() -> dict[str, set[str]]:
    """Env prefix → the variable names after it."""
    found: dict[str, set[str]] = {}
    for cls in settings_models():
        found.setdefault(str(cls.model_config.get("env_prefix", "")), set()).update(
            name.upper() for name in cls.model_fields)
    return found


def known_variables() -> set[str]:
    return {prefix + name for prefix, names in settings_classes().items() for name in names}


#: GOVBUS_* names a README uses that are no setting, each with the file that gives it meaning
NOT_SETTINGS = {
    "GOVBUS_IMAGE": ("the image compose runs", "deploy/compose.yaml"),
    "GOVBUS_HTTP_BIND": ("the host address compose publishes the gateway on",
                         "deploy/compose.yaml"),
    "GOVBUS_BENCH_RAW": ("a stream the bench makes, not a variable", "bench/run.py"),
    f"GOVBUS_{EXAMPLE_SERVICE.upper()}_": ("the prefix of the example service the kit's "
                                           "README walks through", "kit/README.md"),
    **{f"GOVBUS_NATS_PW_{u}": ("a NATS user's password, read by nats-server",
                               "deploy/nats/accounts.conf")
       for u in [*(s.upper() for s in SERVICES), "GATEWAY", "ADMIN"]},
    "GOVBUS_NATS_PW_DEPT_<CODE>": ("a department user's password, read by nats-server",
                                   "deploy/nats/accounts.conf"),
    **{f"GOVBUS_MONGO_PW_{s.upper()}": ("a service's MongoDB password, for mongo-init",
                                        "deploy/compose.yaml")
       for s in SERVICES},
}
VARIABLE = re.compile(r"GOVBUS_(?:[A-Z0-9_]|<[A-Z]+>|\{[A-Z,]+\}|\*|…)+")


def expand_variable(name: str) -> list[str]:
    """``GOVBUS_NATS_PW_{A,B}`` → both; ``GOVBUS_MONGO_PW_<SERVICE>`` → one per service;
    a name ending in ``_`` or ``*`` or ``…`` is a prefix: kept as it is."""
    if m := re.search(r"\{([A-Z,]+)\}", name):
        return [n for alt in m[1].split(",") for n in expand_variable(name.replace(m[0], alt))]
    if "<SERVICE>" in name and not name.endswith(("_", "*", "…")):
        return [n for s in SERVICES for n in expand_variable(name.replace("<SERVICE>", s.upper()))]
    return [name]


def readme_variables() -> list[tuple[str, str]]:
    found = []
    for path in rx.readmes():
        for m in VARIABLE.finditer(path.read_text(encoding="utf-8")):
            found += [(str(path.relative_to(ROOT)), n) for n in expand_variable(m[0])]
    return sorted(set(found))


@pytest.mark.parametrize(("readme", "name"), readme_variables(),
                         ids=[f"{r}:{n}" for r, n in readme_variables()])
def test_every_govbus_variable_a_readme_names_is_a_setting(readme, name):
    known = known_variables()
    if name.endswith(("_", "*", "…")):
        prefix = name.rstrip("*…")
        assert "<SERVICE>" in prefix or any(k.startswith(prefix)
                                            for k in [*known, *NOT_SETTINGS]), (
            f"{readme}: no setting starts with {prefix}")
        return
    if name in NOT_SETTINGS:
        _, source = NOT_SETTINGS[name]
        assert name in (ROOT / source).read_text(), f"{readme}: {name} is not in {source}"
        return
    assert name in known, f"{readme}: {name} is no setting (kit, gateway or a service)"


def service_settings_rows() -> list[tuple[str, str, str]]:
    """The rows of each service README's table under `## Settings (`GOVBUS_<SERVICE>_*`)`:
    (readme, prefix, the first cell)."""
    rows = []
    for path in rx.readmes():
        text = path.read_text(encoding="utf-8")
        for section in re.finditer(r"(?m)^## Settings \(`(GOVBUS_[A-Z]+_)\*`\)\n(.*?)(?=^## |\Z)",
                                   text, re.S):
            for row in re.findall(r"(?m)^\| (`.*?) \|", section[2]):
                rows.append((str(path.relative_to(ROOT)), section[1], row))
    return rows


@pytest.mark.parametrize(("readme", "prefix", "cell"), service_settings_rows(),
                         ids=[f"{r}:{c}" for r, _, c in service_settings_rows()])
def test_every_row_of_a_service_settings_table_is_a_setting(readme, prefix, cell):
    fields = settings_classes()[prefix]
    names = re.findall(r"`([A-Z0-9_*]+)`", cell)
    assert names, cell
    first = names[0]
    for name in names:
        if name.endswith("*"):
            assert any(f.startswith(name[:-1]) for f in fields), f"{readme}: {prefix}{name}"
        elif name.startswith("_"):  # `HANDLING_DAYS_VERY_URGENT` / `_URGENT`: a new ending
            stems = [first[:i] for i, c in enumerate(first) if c == "_"]
            assert any(stem + name in fields for stem in stems), f"{readme}: {prefix}…{name}"
        else:
            assert name in fields, f"{readme}: {prefix}{name} is no setting of the service"


def test_the_readmes_settings_tables_were_found():
    assert {p for _, p, _ in service_settings_rows()} >= {"GOVBUS_DOCUMENTS_",
                                                          "GOVBUS_DISCLOSURE_"}


def settings_defaults() -> dict[str, Any]:
    return {str(cls.model_config.get("env_prefix", "")) + name.upper(): f.default
            for cls in settings_models() for name, f in cls.model_fields.items()}


def shown_value(part: str) -> Any:
    """A default as a table shows it: a literal (`5`, 20, `[1,5,15,60]`, true, `json`,
    政府部门), "empty" for the empty string; None for "none" and prose (nothing to compare)."""
    value = part.strip().strip("`")
    if value in ("none", "—"):
        return None
    if value == "empty":
        return ""
    try:
        return json.loads(value)
    except ValueError:
        pass
    return value if re.fullmatch(r"[\w.\-]+", value) else None


def same_default(shown: Any, default: Any) -> bool:
    from enum import Enum

    if isinstance(default, Enum):
        default = default.value
    if isinstance(default, Path):
        default = str(default)
    if isinstance(default, list) and isinstance(shown, list):
        return len(default) == len(shown) and all(map(same_default, shown, default))
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return isinstance(shown, (int, float)) and not isinstance(shown, bool) and \
            float(shown) == float(default)
    return bool(shown == default)


def default_rows() -> list[tuple[str, str, list[str], list[str]]]:
    """Each row of a README table whose columns are variable | default | …:
    (where, the full names, the defaults shown), one default per name."""
    rows = []
    for path in rx.readmes():
        prefix, columns = "GOVBUS_", False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("## "):
                found = re.match(r"^## Settings \(`(GOVBUS_[A-Z]+_)\*`\)", line)
                prefix = found[1] if found else "GOVBUS_"
            if re.match(r"^\| variable \| default \|", line, re.I):
                columns = True
                continue
            if not line.startswith("|"):
                columns = False
            row = re.match(r"^\| (`[^|]*`) \| ([^|]*) \|", line)
            if not (columns and row):
                continue
            names = re.findall(r"`([A-Z0-9_*]+)`", row[1])
            full = []
            for name in names:
                if name.startswith("_"):  # `HANDLING_DAYS_VERY_URGENT` / `_URGENT`
                    stems = [names[0][:i] for i, c in enumerate(names[0]) if c == "_"]
                    name = next((s + name for s in stems
                                 if f"{prefix}{s}{name}" in settings_defaults()), name)
                full.append(name if name.startswith("GOVBUS_") else prefix + name)
            shown = [p for p in re.split(r"\s*(?:,|/)\s+", row[2].strip())]
            if len(shown) == len(full) and not any("*" in n for n in full):
                rows.append((f"{path.relative_to(ROOT)}:{number}", full, shown))
        # In prose: `GOVBUS_ACK_WAIT_SECONDS` (30), `GOVBUS_PRINCIPAL_ASSERTION_SECONDS` (60, …
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"`(GOVBUS_[A-Z0-9_]+)` \(([0-9.]+)[,)]", text):
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
            rows.append((where, [m[1]], [m[2]]))
    return rows


def test_the_defaults_the_readmes_show_are_the_settings_defaults():
    defaults = settings_defaults()
    compared, wrong = 0, []
    for where, names, shown in default_rows():
        for name, part in zip(names, shown, strict=True):
            value = shown_value(part)
            if value is None or name not in defaults:
                continue
            compared += 1
            if not same_default(value, defaults[name]):
                wrong.append(f"{where}: {name} shows {part}, the default is {defaults[name]!r}")
    assert not wrong, "\n".join(wrong)
    assert compared >= 30, compared


# --- files a README names -------------------------------------------------------------


@cache
def repository_files() -> frozenset[str]:
    """Every file and folder of the checkout (not .venv, .git, var)."""
    found: set[str] = set()
    for top, folders, files in os.walk(ROOT):
        folders[:] = [f for f in folders if not f.startswith(".") and f not in {
            "var", "node_modules", "__pycache__"}]
        rel = Path(top).relative_to(ROOT).as_posix()
        found.update(f"{rel}/{name}".removeprefix("./") for name in files)
        found.update(f"{rel}/{name}/".removeprefix("./") for name in folders)
    return frozenset(found)


PATH = re.compile(r"`([\w.\-]+(?:/[\w.\-]+)*\.(?:py|md|yaml|yml|js|json|conf|patch|lock|toml)"
                  r"|[\w.\-]+(?:/[\w.\-]+)*/)`")
#: what a README names that the checkout does not hold, and why
MADE_LATER = {"var/": "made by make run", ".venv/": "made by make install",
              ".bin/": "made by make install", ".tools/": "made by make install",
              "bench/results/latest.json": "a bench's output",
              "bench/results/scale.json": "a bench's output", "latest.json": "a bench's output",
              "deploy/.env": "the operator makes it from env.example"}


def named_paths() -> list[tuple[str, str]]:
    return sorted({(str(p.relative_to(ROOT)), m[1]) for p in rx.readmes()
                   for m in PATH.finditer(p.read_text(encoding="utf-8"))})


@pytest.mark.parametrize(("readme", "name"), named_paths(),
                         ids=[f"{r}:{n}" for r, n in named_paths()])
def test_a_file_a_readme_names_exists(readme, name):
    """Named from the README's folder, from the repository's root, or as the end of a path
    (`domain/access.py` in the documents service, `callers.py` in the gateway)."""
    if name in MADE_LATER or example_service(name):
        return
    folder = Path(readme).parent.as_posix().removeprefix(".")
    files = repository_files()
    assert (f"{folder}/{name}".lstrip("/") in files or name in files
            or any(f.endswith("/" + name) and f.startswith(folder) for f in files)), (
        f"{readme}: {name} is not in the repository")


# --- the NATS configuration the deploy guide describes ------------------------------------


def test_the_deployed_nats_configuration_is_valid_with_the_variables_the_guide_documents(
        tmp_path):
    """``nats-server -t`` on deploy/nats with exactly the variables deploy/README.md's
    "Servers" table names, made as it says (letters and digits, a letter first): a
    variable the configuration reads and the guide does not document fails."""
    guide = (ROOT / "deploy/README.md").read_text(encoding="utf-8")
    servers = guide[guide.index("\nServers:"):guide.index("\n## NATS users")]
    env: dict[str, str] = {"PATH": os.environ.get("PATH", "")}
    for cell in re.findall(r"(?m)^\| `([^|]*)` \| [^|]*nats", servers):
        for name in [n for m in re.finditer(r"[A-Z][A-Z0-9_]*(?:\{[A-Z,]+\})?", cell)
                     for n in expand_variable(m[0])]:
            env[name] = "p" + uuid.uuid4().hex
    routes = re.search(r"`(\[nats://route:<pw>@nats-0:6222.*?\])`", servers)
    assert routes, "the guide no longer shows NATS_ROUTES"
    env["NATS_ROUTES"] = routes[1].replace("<pw>", env["NATS_CLUSTER_PASSWORD"]).replace(
        ", …", "")
    env["NATS_SERVER_NAME"] = "nats-0"
    binary = Path(os.environ.get("GOVBUS_BIN_DIR", ROOT / ".bin")) / "nats-server"
    result = subprocess.run([str(binary), "-t", "-c", str(ROOT / "deploy/nats/nats-server.conf")],
                            env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout + result.stderr


# --- what runs here ------------------------------------------------------------------------


class StackSettings(IsolatedSettings):
    """Each service on a database of this module's own."""

    def database_name(self, service: str) -> str:
        return f"govbus_{service}_{self.database}"


@dataclass
class Stack:
    api: httpx.AsyncClient
    env: dict[str, str]
    given: dict[str, str]  # placeholders a README leaves to its reader (`ID`)


async def poison_dead_letter(settings: Settings) -> str:
    """A dead letter the disclosure service writes: an event on a subject it reads whose
    body is no JSON. Its id stands for the `ID` of `govbus dlq replay ID`."""
    import nats

    from govbus_kit.dlq import list_dead_letters

    nc = await nats.connect(settings.nats_url or "")
    try:
        js = nc.jetstream()
        bad = Envelope(source="/readme/poison", type=OUTGOING_DISPATCHED.type)
        await js.publish(OUTGOING_DISPATCHED.subject, b'{"document_id": ',
                         headers=bad.to_headers())

        async def mine() -> list[Any]:
            return [d for d in await list_dead_letters(js, 10_000) if d.event_id == bad.id]

        letters = await eventually(mine, bool, timeout=30)
        return str(letters[0].id)
    finally:
        await nc.close()


@pytest.fixture(scope="module")
async def stack(settings, tmp_path_factory) -> AsyncIterator[Stack]:
    own = StackSettings(**settings.model_dump(), database=f"readme_{uuid.uuid4().hex[:8]}")
    secret = settings.jwt_secret.get_secret_value()
    env = {"GOVBUS_NATS_URL": settings.nats_url, "GOVBUS_MONGO_URL": settings.mongo_url,
           "GOVBUS_JWT_SECRET": secret, "GOVBUS_LOG_LEVEL": "WARNING",
           "GOVBUS_VAR_DIR": str(tmp_path_factory.mktemp("readme-var"))}
    async with running(own, disclosure, documents):
        app = create_app(own, secret=secret)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080",
                                         timeout=30) as api:
                yield Stack(api, env, {"ID": await poison_dead_letter(own)})


async def run_command(words: list[str], stdin: str | None, expect: str, where: str,
                      stack: Stack) -> str:
    program = words[0]
    if program == "curl":
        request = rx.parse_curl(words)
        url = urlsplit(request.url)
        assert url.port == 8080 and url.hostname in ("127.0.0.1", "localhost"), (
            f"{where}: {request.url} is not the local gateway")
        answer = await stack.api.request(
            request.method, url.path + (f"?{url.query}" if url.query else ""),
            headers=request.headers,
            content=request.body.encode() if request.body is not None else None)
        status, _, shown = expect.partition(" ")
        if status.isdigit():
            assert answer.status_code == int(status), f"{where}: {answer.status_code} {answer.text}"
        else:
            assert answer.is_success, f"{where}: {answer.status_code} {answer.text}"
            shown = expect
        assert shown in answer.text, f"{where}: the answer does not show {shown!r}: {answer.text}"
        return answer.text
    if program in ("govbus", ".venv/bin/govbus"):
        args = [stack.given.get(w, w) for w in words[1:]]
        done = await asyncio.to_thread(govbus_cli, *args, env=stack.env)
        assert done.returncode == 0, f"{where}: govbus {shlex.join(args)}: {done.stderr}"
        assert expect in done.stdout, f"{where}: the output does not show {expect!r}"
        return done.stdout
    if program == "jq":
        assert stdin is not None and words[1:2] == ["-r"], f"{where}: jq -r PATH only"
        value = rx.jq(json.loads(stdin), words[2])
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    raise AssertionError(f"{where}: {program} cannot run here: mark the block "
                         "<!-- example: check: <why> --> and say why")


async def run_example(example: rx.Example, stack: Stack) -> None:
    variables: dict[str, str] = {}
    for step in rx.steps(example.text, example.line, variables):
        where = f"{example.readme}:{step.line}"
        for chained in [step, *step.chained]:
            output: str | None = None
            for i, words in enumerate(chained.pipeline):
                last = i == len(chained.pipeline) - 1
                output = await run_command(words, output, chained.expect if last else "",
                                           where, stack)
            if chained.capture:
                assert output is not None
                variables[chained.capture] = output.strip()


RUNS = [e for e in EXAMPLES if e.kind == "run"]


@pytest.mark.servers
@pytest.mark.parametrize("example", RUNS, ids=ids(RUNS))
async def test_an_example_runs_against_the_test_stack_as_the_readme_shows(example, stack):
    if example.lang == "json":
        raise AssertionError(f"{example.id}: a JSON block is checked, not run")
    await run_example(example, stack)


SHELL = [e for e in EXAMPLES if e.lang == "sh"]


@pytest.mark.parametrize("example", SHELL, ids=ids(SHELL))
def test_a_shell_block_is_valid_shell(example):
    """What the runner reads with shlex, a reader pastes into a shell: bash must parse it."""
    result = subprocess.run(["bash", "-n"], input=example.text, capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 0, f"{example.id}: {result.stderr}"


@pytest.mark.servers
async def test_the_gateway_readmes_refusal_is_what_the_gateway_answers(stack):
    """gateway/README.md quotes the message of a request without the applicant's name."""
    guide = (ROOT / "gateway/README.md").read_text(encoding="utf-8")
    quoted = re.search(r"\(`(the request is not valid: body\.applicant\.name: [^`]+)`\)", guide)
    assert quoted, "gateway/README.md no longer quotes a refusal"
    body = rx.citizen_request_body()
    del body["applicant"]["name"]
    answer = await stack.api.post("/api/v1/disclosure/requests", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"] == quoted[1]
