"""The ``govbus`` command: the operator's tool above the kit and the gateway.

It runs services (the kit's loop, ``govbus_kit.serve``) with the gateway beside them, starts
the local servers under ./var (``govbus_ops.infra``), provisions streams, exports the
contracts, reads dead letters and mints local tokens.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from govbus_kit.bus import connect_nats, headers_text
from govbus_kit.serve import Companion, S, contracts_of, sync
from govbus_kit.service import Service
from govbus_kit.settings import Settings

if TYPE_CHECKING:
    # Imported where the gateway is served or a token minted: `govbus run --no-gateway`
    # runs where only the kit and the services are installed.
    from govbus_gateway.settings import GatewaySettings

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="govbus: the office's services on a NATS bus.")
infra_app = typer.Typer(no_args_is_help=True, help="Local NATS and FerretDB under ./var.")
streams_app = typer.Typer(no_args_is_help=True, help="JetStream streams.")
contracts_app = typer.Typer(no_args_is_help=True, help="Message contracts.")
events_app = typer.Typer(no_args_is_help=True, help="Events on the bus.")
dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters (stream GOV_DLQ).")
calendar_app = typer.Typer(no_args_is_help=True, help="The working-day calendar (工作日历).")
departments_app = typer.Typer(no_args_is_help=True,
                              help="Departments as subscribers: codes and NATS users.")
app.add_typer(infra_app, name="infra")
app.add_typer(streams_app, name="streams")
app.add_typer(contracts_app, name="contracts")
app.add_typer(events_app, name="events")
app.add_typer(dlq_app, name="dlq")
app.add_typer(calendar_app, name="calendar")
app.add_typer(departments_app, name="departments")


def _settings() -> Settings:
    from govbus_kit.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _gateway_settings() -> GatewaySettings:
    """The gateway's settings (the kit's and its own); the gateway is imported only here."""
    from govbus_gateway.settings import GatewaySettings
    from govbus_kit.logging import configure_logging

    settings = GatewaySettings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _local(settings: Settings) -> Any:
    from govbus_ops.infra import LocalServers

    return LocalServers(root=settings.var_dir.resolve(), bin_dir=settings.bin_dir.resolve(),
                        nats_port=settings.local_nats_port, mongo_port=settings.local_mongo_port)


def _say(text: str) -> None:
    typer.echo(text, err=True)


def jwt_secret(settings: GatewaySettings) -> str:
    """The HS256 secret: configured, or one made for this machine under var/ (local use)."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    path = settings.var_dir / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def signing_key(settings: GatewaySettings) -> GatewaySettings:
    """The gateway's settings with its signing key (``GatewaySettings.with_signing_key``),
    a missing one as a command's parameter error."""
    try:
        return settings.with_signing_key()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def verifying_keys(settings: Settings) -> Settings:
    """The services' keys (``govbus_kit.principal.principal_keys``). Local use, where they
    verify with this machine's key under var/, is a gateway installed here and no identity
    provider configured (GOVBUS_JWT_JWKS_URL); a services-only install has no gateway beside
    it and verifies with the configured keys only."""
    from govbus_kit.principal import principal_keys

    try:
        from govbus_gateway.settings import GatewaySettings
    except ImportError:
        local = False
    else:
        local = not GatewaySettings().jwt_jwks_url
    return principal_keys(settings, local=local, warn=_say)


# --- run ---------------------------------------------------------------------------


@app.command()
def run(
    services: Annotated[list[str] | None, typer.Argument(
        help="service names (entry points in group govbus.services) or module:attribute; "
             "none: every installed service")] = None,
    gateway: Annotated[bool, typer.Option(help="also serve the HTTP gateway")] = True,
) -> None:
    """Run services (and the gateway) in this process; Ctrl-C stops everything cleanly.

    The services' loop is the kit's (``govbus_kit.serve``, also ``govbus-service`` where only
    the kit is installed); the gateway is imported only when it is served.
    """
    from govbus_kit import plugins

    loaded = plugins.load_all(services or None)
    if gateway:
        # The services share the gateway's settings and verify with its own key.
        _host(signing_key(_gateway_settings()), loaded, [_serve_gateway])
    else:
        _host(verifying_keys(_settings()), loaded, [])


def _host(settings: S, loaded: list[Service], companions: Sequence[Companion[S]]) -> None:
    """The kit's loop on the configured servers, or on local ones started under var/."""
    from govbus_kit.serve import serve

    local = None
    if not settings.nats_url or not settings.mongo_url:
        local = _local(settings)
        _say(f"starting local NATS (JetStream) and FerretDB under {settings.var_dir}/ ...")
        local.start()
        settings = settings.model_copy(update={
            "nats_url": settings.nats_url or local.nats_url,
            "mongo_url": settings.mongo_url or local.mongo_url,
        })
        _say(f"  NATS    {settings.nats_url}\n  MongoDB {settings.mongo_url} (FerretDB)")
    try:
        asyncio.run(serve(settings, loaded, companions))
    finally:
        if local is not None:
            _say("stopping local servers ...")
            local.stop()


async def _serve_gateway(settings: GatewaySettings) -> Callable[[], Awaitable[None]]:
    """The HTTP gateway beside the services (a companion of ``govbus_kit.serve``)."""
    import uvicorn

    from govbus_gateway.app import create_app

    api = create_app(settings, secret=jwt_secret(settings))
    server = uvicorn.Server(uvicorn.Config(
        api, host=settings.gateway_host, port=settings.gateway_port, log_level="warning",
        lifespan="on", proxy_headers=False))
    # The host owns SIGINT/SIGTERM (govbus_kit.serve); uvicorn's own capture would re-raise them.
    serving = asyncio.create_task(server._serve())
    _say(f"gateway: http://{settings.gateway_host}:{settings.gateway_port} "
         f"(docs at /docs; a token: govbus token --role admin)")

    async def stop() -> None:
        server.should_exit = True
        with suppress(Exception):
            await serving

    return stop


@app.command()
def gateway() -> None:
    """Serve only the HTTP gateway (services run elsewhere)."""
    import uvicorn

    from govbus_gateway.app import create_app

    settings = signing_key(_gateway_settings())
    uvicorn.run(create_app(settings, secret=jwt_secret(settings) if not settings.jwt_jwks_url
                           else None),
                host=settings.gateway_host, port=settings.gateway_port, log_level="warning",
                # Forwarding headers are the gateway's to judge (GOVBUS_TRUSTED_PROXIES), not
                # uvicorn's: it would rewrite the client address from loopback peers.
                proxy_headers=False)


@app.command()
def health(
    service: str,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the answer")] = 2.0,
    as_json: Annotated[bool, typer.Option("--json", help="the reply as JSON")] = False,
    live: Annotated[bool, typer.Option(
        "--live", help="exit 0 whenever the service answers, degraded or not (a liveness "
        "probe: restarting a saturated service only adds to its load)")] = False,
) -> None:
    """Ask a service how it is: status, checks and the figures behind them.

    Exit 0 when it is ok; 1 when it is degraded (a check says why, with its figure) or does
    not answer (no service, no bus): an exec probe.
    """
    settings = _settings()
    started = time.monotonic()
    try:
        reply = asyncio.run(_ask_health(settings, service, timeout))
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        if as_json:
            typer.echo(json.dumps({"service": service, "status": "unreachable",
                                   "error": reason}, ensure_ascii=False))
        else:
            typer.echo(f"{service}: unreachable: {reason}")
        raise typer.Exit(1) from exc
    status = str(reply.get("status"))
    if as_json:
        typer.echo(json.dumps(reply, ensure_ascii=False))
    else:
        took = (time.monotonic() - started) * 1000
        typer.echo(f"{service}: {status} (instance {reply.get('instance')}, version "
                   f"{reply.get('version')}, answered in {took:.0f} ms)")
        checks: dict[str, str] = reply.get("checks") or {}
        width = max((len(k) for k in checks), default=0)
        for name, check in checks.items():
            typer.echo(f"  {name:<{width}}  {check}")
        figures: dict[str, float] = reply.get("figures") or {}
        if figures:
            typer.echo("figures:")
            width = max(len(k) for k in figures)
            for name, value in figures.items():
                typer.echo(f"  {name:<{width}}  {value:g}")
    for warning in reply.get("warnings") or []:
        typer.echo(f"warning: {warning}", err=True)
    raise typer.Exit(0 if status == "ok" or live else 1)


async def _ask_health(settings: Settings, service: str, timeout: float) -> dict[str, Any]:
    """One request on a plain connection (no FastStream: an exec probe should be quick)."""
    from nats.errors import NoRespondersError
    from nats.errors import TimeoutError as NatsTimeout

    from govbus_contracts.envelope import H_CORRELATION, H_DEADLINE, H_ID, new_id
    from govbus_contracts.subjects import query_subject
    from govbus_kit.admission import deadline_after

    subject = query_subject(service, "health")
    nc = await connect_nats(settings)
    try:
        message_id = new_id()
        try:
            msg = await nc.request(subject, b"{}", timeout=timeout, headers={
                H_ID: message_id, H_CORRELATION: message_id,
                H_DEADLINE: deadline_after(timeout), "content-type": "application/json"})
        except NoRespondersError as exc:
            raise RuntimeError(f"service {service} is not running") from exc
        except (TimeoutError, NatsTimeout) as exc:
            raise RuntimeError(f"service {service} did not answer in {timeout:g}s") from exc
    finally:
        await nc.close()
    reply: dict[str, Any] = json.loads(msg.data or b"{}")
    if "error" in reply:
        raise RuntimeError(f"service {service} answered an error: {reply['error']}")
    return reply


# --- calendar ----------------------------------------------------------------------


_WEEKDAYS = "一二三四五六日"


@calendar_app.command("show")
def calendar_show(
    year: int,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """A year's days off and 调休 working days, and whether the year is official or only
    provisional (derived from the statutory holidays before the State Council's notice)."""
    from govbus_kit.calendar import CalendarError, WorkingCalendar, default_calendar

    settings = _settings()
    try:
        cal = (WorkingCalendar.from_directory(settings.calendar_dir) if settings.calendar_dir
               else default_calendar())
        source = cal.source(year)
        year_cal = cal.year(year)
    except CalendarError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    days_off = list(cal.days_off(year))
    workdays = sorted(year_cal.workdays)
    if as_json:
        typer.echo(json.dumps({
            "year": year, "status": "provisional" if source == "provisional" else "official",
            "source": source, "notice": year_cal.source,
            "days_off": [{"date": d.isoformat(), "name": cal.holiday_name(d)}
                         for d in days_off],
            "workdays": [d.isoformat() for d in workdays],
        }, ensure_ascii=False, indent=2))
        return
    status = {"operator": "正式 (official): operator file",
              "package": "正式 (official): chinesecalendar package",
              "provisional": "临时 (provisional): statutory holidays only, no 调休 yet"}[source]
    typer.echo(f"{year}: {status}")
    if year_cal.source:
        typer.echo(f"  source: {year_cal.source}")
    typer.echo(f"days off ({len(days_off)}):")
    for d in days_off:
        typer.echo(f"  {d.isoformat()} 周{_WEEKDAYS[d.weekday()]}  {cal.holiday_name(d) or ''}")
    typer.echo(f"调休 working days ({len(workdays)}):")
    for d in workdays:
        typer.echo(f"  {d.isoformat()} 周{_WEEKDAYS[d.weekday()]}")


# --- infra -------------------------------------------------------------------------


@infra_app.command("up")
def infra_up() -> None:
    """Start the local NATS and FerretDB (kept running)."""
    settings = _settings()
    local = _local(settings)
    local.start()
    asyncio.run(sync(settings.model_copy(update={"nats_url": local.nats_url}), contracts_of([])))
    _infra_status(local)


@infra_app.command("down")
def infra_down() -> None:
    """Stop the local servers (data stays under ./var)."""
    local = _local(_settings())
    local.stop()
    _infra_status(local)


@infra_app.command("status")
def infra_status() -> None:
    _infra_status(_local(_settings()))


def _infra_status(local: Any) -> None:
    for name, status in local.status().items():
        state = f"running (pid {status.pid})" if status.running else "stopped"
        typer.echo(f"{name:10} {state:24} {status.url}  log: {status.log}")


# --- streams, contracts ------------------------------------------------------------


@streams_app.command("sync")
def streams_sync(services: Annotated[list[str] | None, typer.Argument()] = None) -> None:
    """Create or update the streams of every contract (and of the named plugins)."""
    from govbus_kit import plugins

    settings = _settings()
    asyncio.run(sync(settings, contracts_of(plugins.load_all(services) if services else [])))


def _schemas_dir() -> Path:
    here = Path.cwd()
    for base in (here, *here.parents):
        if (base / "contracts" / "schemas").is_dir():
            return base / "contracts" / "schemas"
    raise typer.BadParameter("run this in the govbus repository (contracts/schemas not found)")


@contracts_app.command("list")
def contracts_list() -> None:
    """The installed services' contracts (entry points in group govbus.contracts): each
    service with its stream and the subjects of its commands, queries and events."""
    from govbus_contracts.registry import all_contracts

    for contract in all_contracts():
        typer.echo(f"{contract.name}  stream {contract.stream}  {contract.description}")
        subjects = [spec.subject for spec in contract.commands]
        subjects += [spec.subject for spec in contract.queries]
        subjects += [spec.subject for spec in contract.events]
        for subject in subjects:
            typer.echo(f"  {subject}")


@contracts_app.command("export")
def contracts_export(
    check: Annotated[bool, typer.Option(help="only check that the export is up to date")] = False,
) -> None:
    """Write JSON Schema of every message and the AsyncAPI document to contracts/schemas/."""
    from govbus_contracts.export import check_against_committed, stale_files, write_export
    from govbus_contracts.registry import all_contracts

    directory = _schemas_dir()
    if check:
        breaking = check_against_committed(all_contracts(), directory)
        stale = stale_files(all_contracts(), directory)
        for path, problems in breaking.items():
            for problem in problems:
                typer.echo(f"incompatible: {path}: {problem}")
        for path in stale:
            typer.echo(f"stale: {path}")
        raise typer.Exit(1 if breaking or stale else 0)
    try:
        written = write_export(all_contracts(), directory)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"wrote {len(written)} files to {directory}")


# --- events, dlq -------------------------------------------------------------------


@events_app.command("tail")
def events_tail(
    subject: Annotated[str, typer.Argument(help="e.g. gov.documents.evt.> ")] = "gov.*.evt.>",
    history: Annotated[int, typer.Option(help="also show the last N stored messages")] = 0,
) -> None:
    """Print events as they arrive (headers and body), until Ctrl-C."""
    settings = _settings()

    async def tail() -> None:
        from nats.js.api import DeliverPolicy

        nc = await connect_nats(settings)
        js = nc.jetstream()

        async def show(msg: Any) -> None:
            headers = headers_text(msg.headers)
            try:
                data: Any = json.loads(msg.data or b"null")
            except ValueError:  # not JSON (an integrator's garbage): shown as text, not fatal
                data = (msg.data or b"").decode("utf-8", errors="replace")
            typer.echo(json.dumps({
                "subject": msg.subject, "id": headers.get("ce-id"),
                "time": headers.get("ce-time"), "correlation": headers.get("ce-correlationid"),
                "data": data,
            }, ensure_ascii=False))
            with suppress(Exception):
                await msg.ack()

        policy = DeliverPolicy.LAST_PER_SUBJECT if history else DeliverPolicy.NEW
        sub = await js.subscribe(subject, cb=show, ordered_consumer=True, deliver_policy=policy)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await sub.unsubscribe()
        await nc.close()

    asyncio.run(tail())


@dlq_app.command("list")
def dlq_list(limit: int = 100, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Dead letters: id, original subject, consumer, tries, error."""
    settings = _settings()

    async def go() -> None:
        from govbus_kit.dlq import list_dead_letters

        nc = await connect_nats(settings)
        try:
            letters = await list_dead_letters(nc.jetstream(), limit)
        finally:
            await nc.close()
        for letter in letters:
            if as_json:
                typer.echo(json.dumps({
                    "id": letter.id, "subject": letter.subject, "consumer": letter.consumer,
                    "event_id": letter.event_id, "deliveries": letter.deliveries,
                    "at": letter.at, "error": letter.error,
                }, ensure_ascii=False))
            else:
                typer.echo(f"{letter.id:>6}  {letter.at[:19]}  {letter.consumer:24} "
                           f"{letter.subject}  tries={letter.deliveries}  {letter.error[:120]}")
        if not letters and not as_json:
            typer.echo("no dead letters")

    asyncio.run(go())


@dlq_app.command("replay")
def dlq_replay(dead_letter_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Publish a dead letter again on its original subject and remove it from GOV_DLQ."""
    settings = _settings()

    async def go() -> None:
        from govbus_kit.dlq import replay

        nc = await connect_nats(settings)
        try:
            letter = await replay(nc.jetstream(), dead_letter_id)
        finally:
            await nc.close()
        typer.echo(f"replayed {letter.id} to {letter.subject}")

    from govbus_contracts.errors import GovbusError

    try:
        asyncio.run(go())
    except GovbusError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from exc


@app.command("principal-key")
def principal_key() -> None:
    """Make an Ed25519 key pair for the signed principal: the signing key for the gateway,
    the public key for the services (append it to their list to rotate)."""
    from govbus_kit.principal import new_key_pair

    signing, public = new_key_pair()
    typer.echo(f"GOVBUS_PRINCIPAL_SIGNING_KEY={signing}")
    typer.echo(f"GOVBUS_PRINCIPAL_PUBLIC_KEYS={public}")


# --- departments -------------------------------------------------------------------


def _department_code(name: str) -> tuple[str, str, bool]:
    """(name, code, configured) of a department by the directory of GOVBUS_DEPARTMENTS_FILE
    (a bad file is said, exit 2)."""
    from govbus_kit.departments import DepartmentDirectory, DepartmentsFileError

    try:
        directory = DepartmentDirectory.from_file(_settings().departments_file)
    except DepartmentsFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    name = name.strip()
    return name, directory.code(name), name in directory.codes


@departments_app.command("code")
def departments_code(name: Annotated[str, typer.Argument(help="the department, e.g. 财政局")],
                     ) -> None:
    """A department's code: its subjects are gov.dept.<code>.> (GOVBUS_DEPARTMENTS_FILE, or
    derived from the name when the file does not name it)."""
    name, code, configured = _department_code(name)
    typer.echo(code)
    if not configured:
        _say(f"{name}: not in GOVBUS_DEPARTMENTS_FILE; derived from the name")


@departments_app.command("nats-user")
def departments_nats_user(
        name: Annotated[str, typer.Argument(help="the department, e.g. 财政局")]) -> None:
    """The department's NATS user for deploy/nats/accounts.conf (the users of GOVBUS):
    it reads its own subjects and nothing else."""
    from govbus_kit.departments import nats_user, nats_user_block, password_variable

    name, code, _ = _department_code(name)
    typer.echo(nats_user_block(name, code), nl=False)
    _say(f"user {nats_user(code)}; give nats-server {password_variable(code)} and the "
         f"department its value; it reads gov.dept.{code}.> with durable consumer "
         f"{nats_user(code)} on GOV_DEPARTMENTS")


# --- token -------------------------------------------------------------------------


@app.command()
def token(
    role: Annotated[list[str], typer.Option("--role", "-r", help="role (repeatable)")],
    department: Annotated[str | None, typer.Option("--department", "-d")] = None,
    subject: Annotated[str, typer.Option("--sub")] = "local-user",
    name: Annotated[str | None, typer.Option("--name")] = None,
    hours: float = 8.0,
) -> None:
    """Mint a local HS256 token for trying the API (Authorization: Bearer ...)."""
    import jwt

    settings = _gateway_settings()
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "roles": role, "iat": now,
                              "exp": now + int(hours * 3600)}
    if department:
        claims["department"] = department
    if name:
        claims["name"] = name
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    typer.echo(jwt.encode(claims, jwt_secret(settings), algorithm="HS256"))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
