"""Generated artefacts of the contracts: one JSON Schema per message and an AsyncAPI document.

Each JSON Schema file stands alone (its own ``$defs``). The AsyncAPI document is
self-contained the way AsyncAPI tools read it: every schema once under
``components.schemas``, payloads and fields referring there, every ``$ref`` resolving
inside the document.

The committed export is also the compatibility snapshot: ``check_compatible`` compares a
model's current schema with the committed one and lists every change that is not growth
(a removed or retyped field, a new required field, a dropped enum member). Such a change
needs a new major version, which is a new subject and a new file beside the old one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from govbus_contracts.errors import ErrorReply
from govbus_contracts.registry import CommandSpec, QuerySpec, ServiceContract
from govbus_contracts.subjects import DEPARTMENTS_PREFIX, DEPARTMENTS_STREAM

Schema = dict[str, Any]


def message_schema(subject: str, model: type[Any]) -> Schema:
    schema: Schema = model.model_json_schema(mode="validation")
    schema["$id"] = f"urn:govbus:{subject}"
    schema["x-govbus-subject"] = subject.removesuffix(".reply")
    schema["x-govbus-schema-version"] = getattr(model, "schema_version", "1.0")
    return schema


def schema_files(contracts: list[ServiceContract]) -> dict[str, Schema]:
    """Relative path → schema, for every message of every contract."""
    files: dict[str, Schema] = {}
    for contract in contracts:
        for subject, model in contract.models():
            files[f"{contract.name}/{subject}.json"] = message_schema(subject, model)
    files["error.json"] = message_schema("gov.error", ErrorReply)
    return files


COMPONENT_SCHEMAS = "#/components/schemas/"


def _component_name(pydantic_name: str) -> str:
    """A readable key for a schema whose class name is shared by several contract models.

    pydantic qualifies such names with the module path
    (``govbus_contracts__services__documents__incoming__HistoryEntry``); the document says
    ``documents.incoming.HistoryEntry``. Unique class names stay as they are.
    """
    if "__" not in pydantic_name:
        return pydantic_name
    for prefix in ("govbus_contracts__services__", "govbus_contracts__"):
        pydantic_name = pydantic_name.removeprefix(prefix)
    return pydantic_name.replace("__", ".")


def _rewrite_refs(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite_refs(v, names) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(COMPONENT_SCHEMAS):
            out["$ref"] = COMPONENT_SCHEMAS + names[ref.removeprefix(COMPONENT_SCHEMAS)]
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, names) for v in node]
    return node


def shared_schemas(models: list[type[Any]]) -> tuple[dict[type[Any], str], Schema]:
    """Every model's schema and every schema it uses, once, for ``components.schemas``.

    Returns the reference of each model's own schema (``#/components/schemas/<name>``) and
    the schemas by name. One generation over all models, so two classes of the same name
    in different modules get distinct names, and every ``$ref`` points into
    ``components.schemas`` of the document: nothing refers to a nested ``$defs``.
    """
    unique = list(dict.fromkeys(models))
    refs, top = models_json_schema(
        [(model, "validation") for model in unique], ref_template=COMPONENT_SCHEMAS + "{model}"
    )
    defs: Schema = top.get("$defs", {})
    names = {name: _component_name(name) for name in defs}
    if len(set(names.values())) != len(names):  # a readable name would merge two schemas
        names = {name: name for name in defs}
    schemas = {names[name]: _rewrite_refs(schema, names) for name, schema in defs.items()}
    own: dict[type[Any], str] = {}
    for model in unique:
        schema = _rewrite_refs(refs[(model, "validation")], names)
        if set(schema) == {"$ref"}:
            own[model] = schema["$ref"]
        else:  # a model pydantic inlines (not the case for BaseModel subclasses)
            name = model.__name__
            while name in schemas:
                name += "_"
            schemas[name] = schema
            own[model] = COMPONENT_SCHEMAS + name
    return own, schemas


def asyncapi_document(contracts: list[ServiceContract]) -> Schema:
    """An AsyncAPI 3.0 document of the whole bus, from each service's point of view.

    Self-contained: each message's payload is a ``$ref`` into ``components.schemas``, which
    holds every schema once; every reference resolves inside the document. The same
    payloads are exported one file per message (``schema_files``), whose ``$id`` each
    message names as ``x-govbus-schema-id``.
    """
    channels: Schema = {}
    operations: Schema = {}
    messages: Schema = {}
    used: list[type[Any]] = []
    for contract in contracts:
        exchanges: list[CommandSpec | QuerySpec] = [*contract.commands, *contract.queries]
        for exchange in exchanges:
            used += [exchange.request, exchange.reply]
        used += [event.model for event in contract.events]
    payloads, schemas = shared_schemas(used)

    def message(name: str, subject: str, model: type[Any]) -> Schema:
        messages[name] = {
            "name": name,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().split("\n")[0],
            "contentType": "application/json",
            "payload": {"$ref": payloads[model]},
            "x-govbus-subject": subject.removesuffix(".reply"),
            "x-govbus-schema-id": f"urn:govbus:{subject}",
            "x-govbus-schema-version": getattr(model, "schema_version", "1.0"),
        }
        return {"$ref": f"#/components/messages/{name}"}

    for contract in contracts:
        specs: list[CommandSpec | QuerySpec] = [*contract.commands, *contract.queries]
        for spec in specs:
            cid = spec.subject.replace(".", "_")
            req = message(cid, spec.subject, spec.request)
            rep = message(cid + "_reply", spec.subject + ".reply", spec.reply)
            channels[cid] = {
                "address": spec.subject,
                "description": spec.summary.strip(),
                "messages": {cid: req},
            }
            channels[cid + "_reply"] = {"address": None, "messages": {cid + "_reply": rep}}
            operations[cid] = {
                "action": "receive",
                "title": spec.name,
                "channel": {"$ref": f"#/channels/{cid}"},
                "reply": {"channel": {"$ref": f"#/channels/{cid}_reply"}},
                "bindings": {"nats": {"queue": contract.name}},
            }
        for event in contract.events:
            cid = event.subject.replace(".", "_")
            channels[cid] = {
                "address": event.subject,
                "description": event.summary.strip(),
                "messages": {cid: message(cid, event.subject, event.model)},
            }
            operations[cid] = {
                "action": "send",
                "title": f"{event.entity} {event.fact}",
                "channel": {"$ref": f"#/channels/{cid}"},
                "x-govbus-stream": contract.stream,
            }
            if event.addressed:
                # Each department's copy (govbus_kit.departments): same message, its subject.
                address = (f"{DEPARTMENTS_PREFIX}.{{department}}.{event.service}."
                           f"{event.entity}.{event.fact}.v{event.version}")
                did = address.replace(".", "_").replace("{department}", "department")
                channels[did] = {
                    "address": address,
                    "description": f"{event.summary.strip()} (copy for each department it is "
                                   "addressed to)",
                    "parameters": {"department": {
                        "description": "the department's code: `govbus departments code "
                                       "<name>` (GOVBUS_DEPARTMENTS_FILE, else derived from "
                                       "the name)"}},
                    "messages": {cid: {"$ref": f"#/components/messages/{cid}"}},
                }
                operations[did] = {
                    "action": "send",
                    "title": f"{event.entity} {event.fact} (to departments)",
                    "channel": {"$ref": f"#/channels/{did}"},
                    "x-govbus-stream": DEPARTMENTS_STREAM,
                }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "govbus",
            "version": "1",
            "description": (
                "The message bus of a government general office (政府办公室). Commands and "
                "queries are NATS request/reply; events are JetStream messages in one stream "
                "per service; a fact addressed to departments is copied to each, on "
                "gov.dept.<code>.<service>.<entity>.<fact>.v<N> (stream GOV_DEPARTMENTS). "
                "Every message carries CloudEvents 1.0 attributes as ce-* headers; "
                "Nats-Msg-Id equals ce-id. Errors answer {error: {code, message, details}} "
                "with header govbus-status: error."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:4222", "protocol": "nats"}},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def render(doc: Schema) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def export_files(contracts: list[ServiceContract]) -> dict[str, str]:
    files = {path: render(schema) for path, schema in schema_files(contracts).items()}
    files["asyncapi.json"] = render(asyncapi_document(contracts))
    return files


# --- compatibility -------------------------------------------------------------------


def _resolve(schema: Schema, root: Schema) -> Schema:
    while "$ref" in schema:
        ref = schema["$ref"]
        name = ref.rsplit("/", 1)[-1]
        schema = root.get("$defs", {}).get(name, {})
    return schema


def _variants(schema: Schema, root: Schema) -> list[Schema]:
    schema = _resolve(schema, root)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [_resolve(s, root) for s in schema[key]]
    return [schema]


def _type_of(schema: Schema) -> str:
    if "enum" in schema or "const" in schema:
        return "enum:" + str(schema.get("type", ""))
    return str(schema.get("type", "object" if "properties" in schema else "any"))


def compare(old: Schema, new: Schema) -> list[str]:
    """Changes from ``old`` to ``new`` that are not growth; empty when compatible.

    Bounds (``maxLength``, ``maxItems``, ``minimum``, ``maximum``, ``pattern``) are not
    compared: adding or tightening the bound of a command's or query's field refuses input
    that was never valid (an offset of 10^20, 20 000 departments: issue 9) and is allowed
    within a major version; the sender hears ``validation_failed`` naming the field.
    """
    problems: list[str] = []

    def walk(o: Schema, n: Schema, path: str) -> None:
        ov, nv = _variants(o, old), _variants(n, new)
        otypes = {_type_of(v) for v in ov}
        ntypes = {_type_of(v) for v in nv}
        if not otypes <= ntypes and "any" not in ntypes:
            problems.append(f"{path}: type changed from {sorted(otypes)} to {sorted(ntypes)}")
            return
        for ovar in ov:
            nvar = next((v for v in nv if _type_of(v) == _type_of(ovar)), None)
            if nvar is None:
                continue
            if "enum" in ovar:
                dropped = [m for m in ovar["enum"] if m not in nvar.get("enum", [])]
                if dropped:
                    problems.append(f"{path}: enum members removed {dropped}")
            if "const" in ovar and ovar.get("const") != nvar.get("const"):
                problems.append(f"{path}: constant changed")
            if "properties" in ovar or "properties" in nvar:
                oprops, nprops = ovar.get("properties", {}), nvar.get("properties", {})
                for name, osub in oprops.items():
                    if name not in nprops:
                        problems.append(f"{path}.{name}: field removed")
                    else:
                        walk(osub, nprops[name], f"{path}.{name}")
                oreq, nreq = set(ovar.get("required", [])), set(nvar.get("required", []))
                for name in sorted(nreq - oreq):
                    problems.append(f"{path}.{name}: field became required")
                for name in sorted(oreq - nreq):
                    if name in nprops:
                        problems.append(f"{path}.{name}: field became optional")
            if "items" in ovar and "items" in nvar:
                walk(ovar["items"], nvar["items"], f"{path}[]")
            if isinstance(ovar.get("additionalProperties"), dict) and isinstance(
                nvar.get("additionalProperties"), dict
            ):
                walk(ovar["additionalProperties"], nvar["additionalProperties"], f"{path}{{}}")

    walk(old, new, "$")
    return problems


def check_against_committed(
    contracts: list[ServiceContract], directory: Path
) -> dict[str, list[str]]:
    """Incompatible changes per committed schema file (files of new subjects are fine)."""
    out: dict[str, list[str]] = {}
    for path, schema in schema_files(contracts).items():
        committed = directory / path
        if committed.exists():
            problems = compare(json.loads(committed.read_text(encoding="utf-8")), schema)
            if problems:
                out[path] = problems
    return out


def stale_files(contracts: list[ServiceContract], directory: Path) -> list[str]:
    """Files whose committed content differs from a fresh export, or that should not be there."""
    files = export_files(contracts)
    stale = [
        path
        for path, text in files.items()
        if not (directory / path).exists()
        or (directory / path).read_text(encoding="utf-8") != text
    ]
    present = {str(p.relative_to(directory)) for p in directory.rglob("*.json")}
    stale += sorted(present - set(files))
    return stale


def write_export(contracts: list[ServiceContract], directory: Path) -> list[str]:
    """Write the export; refuses (ValueError) when a change breaks a committed schema."""
    breaking = check_against_committed(contracts, directory)
    if breaking:
        lines = [f"{path}: {p}" for path, problems in breaking.items() for p in problems]
        raise ValueError(
            "incompatible change within a major version (publish a new major subject):\n"
            + "\n".join(lines)
        )
    files = export_files(contracts)
    for path in {str(p.relative_to(directory)) for p in directory.rglob("*.json")} - set(files):
        (directory / path).unlink()
    for path, text in files.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return sorted(files)
