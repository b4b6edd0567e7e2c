"""The host: binds services to the broker and the store, and runs them.

Commands and queries are core NATS request/reply in a queue group per service. Events are
consumed with durable pull consumers and explicit acks; a handler that fails is retried
with back-off, and after ``max_deliver`` tries the message and its error go to ``GOV_DLQ``
and the original is acknowledged, so a poison message never blocks a stream.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from faststream.response import Response
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import BaseModel, ValidationError
from pymongo import AsyncMongoClient

from govbus_contracts.envelope import (
    H_CORRELATION,
    H_DEADLINE,
    H_ID,
    H_MSG_ID,
    H_PRINCIPAL,
    H_SPECVERSION,
    H_STATUS,
    H_TYPE,
    SPECVERSION,
    Envelope,
    Principal,
    new_id,
)
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.registry import HealthReply
from govbus_contracts.subjects import DLQ_STREAM, dlq_subject, stream_name
from govbus_kit.admission import Admission, Expired, parse_deadline
from govbus_kit.bus import (
    headers_text,
    inbox_prefix,
    make_broker,
    sign_services_with,
    stop_broker,
)
from govbus_kit.calendar import WorkingCalendar, default_calendar
from govbus_kit.clock import Clock, SystemClock, office_date
from govbus_kit.context import handling
from govbus_kit.departments import DepartmentDirectory
from govbus_kit.logging import get_logger
from govbus_kit.outbox import OutboxRelay
from govbus_kit.principal import (
    PrincipalVerifier,
    ServiceSigner,
    new_key_pair,
    service_signer,
    verifier,
)
from govbus_kit.revision import (
    directory_signature,
    next_year_warning,
    reload_calendar,
    revise_if_changed,
)
from govbus_kit.service import (
    EventContext,
    Periodic,
    QueryContext,
    Service,
    ServiceContext,
    Subscription,
    command_context,
)
from govbus_kit.settings import Settings
from govbus_kit.store import make_client, service_database

log = get_logger("govbus.runtime")

#: headers a dead letter carries besides the original ones
async def undecoded(msg: NatsMessage) -> bytes:
    """The body as it came: FastStream would decode it as JSON before the handler runs, and a
    body that is no JSON at all then failed outside the handler, where nothing counts tries
    (an event: redelivered every ``ack_wait`` forever; a command: no answer). The handlers
    validate the bytes themselves and answer, or dead-letter, with the reason."""
    return msg.body


H_DLQ_ERROR = "govbus-dlq-error"
H_DLQ_SUBJECT = "govbus-dlq-subject"
H_DLQ_CONSUMER = "govbus-dlq-consumer"
H_DLQ_STREAM = "govbus-dlq-stream"
H_DLQ_SEQ = "govbus-dlq-seq"
H_DLQ_DELIVERIES = "govbus-dlq-deliveries"
H_DLQ_AT = "govbus-dlq-at"
DLQ_RETRY_SECONDS = 5.0
#: a health reply comes within the 2 s its askers (gateway, `govbus health`) wait
HEALTH_STORE_TIMEOUT = 1.5
HEALTH_JS_TIMEOUT = 1.0


def _reply(body: BaseModel | dict[str, Any], correlation_id: str, status: str = "ok") -> Response:
    data = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(
        body, ensure_ascii=False, default=str)
    return Response(
        data.encode(), headers={H_STATUS: status, "content-type": "application/json"},
        correlation_id=correlation_id,
    )


def _error(exc: GovbusError, correlation_id: str) -> Response:
    return _reply(exc.to_reply(), correlation_id, status="error")


def _validation_error(exc: ValidationError) -> GovbusError:
    problems = [
        {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_input=False)
    ]
    return GovbusError(ErrorCode.validation_failed, "the request is not valid", problems=problems)


def _principal(msg: NatsMessage, keys: PrincipalVerifier) -> Principal:
    """Who acts: no header is the public; a header must be the gateway's signed assertion
    for this very message (subject, id and body), or it is refused as ``unauthenticated``
    (a plain header, another key, expired, or taken from another message)."""
    headers = msg.headers or {}
    raw = headers.get(H_PRINCIPAL)
    if not raw:
        return Principal.anonymous()
    return keys.verify(raw, subject=msg.raw_message.subject, message_id=headers.get(H_ID),
                       body=msg.body or b"")


def _unknown_version(headers: dict[str, str], expected_type: str) -> str | None:
    """Why a message on a consumed subject is not the version its consumer reads, if it is
    not: CloudEvents' own ``specversion`` other than 1.0, or a ``ce-type`` other than the
    subscription's (e.g. a v2 fact published on the v1 subject by a misconfigured producer)."""
    spec = headers.get(H_SPECVERSION)
    if spec is not None and spec != SPECVERSION:
        return f"CloudEvents specversion {spec!r}, this consumer reads {SPECVERSION!r}"
    found = headers.get(H_TYPE)
    if found != expected_type:
        return f"ce-type {found!r}, this consumer reads {expected_type!r}"
    return None


async def _admit(admission: Admission, headers: dict[str, Any], kind: str
                 ) -> GovbusError | None:
    """A slot for this request, or the error to answer instead (then nothing is done)."""
    try:
        await admission.enter(parse_deadline(headers.get(H_DEADLINE)))
    except Expired as exc:
        # Its caller has already answered (504): doing it now would only add to a backlog.
        # Info, like every request's outcome: under overload a warning per request would
        # add to the load (the health figures count them).
        log.info(f"{kind}_expired", late_ms=round(exc.late))
        return exc
    except GovbusError as exc:
        if exc.code is ErrorCode.overloaded:
            log.info(f"{kind}_shed", in_flight=admission.in_flight, queued=admission.queued)
        else:
            log.info(f"{kind}_refused", code=exc.code.value, reason=exc.message)
        return exc
    return None


class Host:
    """Runs a set of services in one process, sharing one broker and one Mongo client."""

    def __init__(
        self,
        services: list[Service],
        settings: Settings,
        *,
        clock: Clock | None = None,
        calendar: WorkingCalendar | None = None,
        broker: NatsBroker | None = None,
        service_settings: Mapping[str, BaseModel] | None = None,
    ) -> None:

        self.services = services
        self.settings = settings
        #: Each service's own settings where the caller gives them (else from the environment).
        self.service_settings = dict(service_settings or {})
        self.clock = clock or SystemClock()
        self.calendar = calendar or (
            WorkingCalendar.from_directory(settings.calendar_dir) if settings.calendar_dir
            else default_calendar())
        self.broker = broker or make_broker(settings)
        self.mongo: AsyncMongoClient[dict[str, Any]] = make_client(
            settings.mongo_url or "mongodb://127.0.0.1:27017/"
        )
        self.relay = OutboxRelay(self.broker, self.clock,
                                 grace_seconds=settings.outbox_grace_seconds,
                                 touched_retention_seconds=settings.touched_retention_seconds,
                                 ledgers=settings.ledgers())
        # Read once, at start: a bad file stops the host here rather than sending a
        # department's work where its system does not look.
        self.departments = DepartmentDirectory.from_file(settings.departments_file)
        self.contexts: dict[str, ServiceContext] = {}
        #: per service: its slots for commands and queries (health is never admitted)
        self.admissions: dict[str, Admission] = {}
        self.instance = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._calendar_signature = directory_signature(settings.calendar_dir)
        # The services here act as themselves (a request to another service) with the key
        # configured for them, else with one made for this process and trusted only here.
        names = [service.name for service in services]
        self.service_signer = service_signer(settings, names) or ServiceSigner(
            new_key_pair()[0], names)
        sign_services_with(self.broker, self.service_signer)
        self.principals = verifier(settings, own=self.service_signer)

    # --- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        for service in self.services:
            ctx = ServiceContext(
                service=service, settings=self.settings,
                db=service_database(self.mongo, self.settings, service.name),
                broker=self.broker, relay=self.relay, clock=self.clock, calendar=self.calendar,
                options=service.own_settings(self.service_settings.get(service.name)),
                departments=self.departments,
            )
            self.contexts[service.name] = ctx
            self.relay.watch(ctx.db)
            for hook in service.startup:
                await hook(ctx)
            self._bind(service, ctx)
        await self.broker.start()
        self._tasks.append(asyncio.create_task(
            self.relay.run_sweeper(self.settings.outbox_sweep_seconds, self._stop)))
        for service in self.services:
            for periodic in service.periodic_tasks:
                self._tasks.append(asyncio.create_task(
                    self._run_periodic(periodic, self.contexts[service.name])))
        self._tasks.append(asyncio.create_task(self._watch_calendar()))
        log.info("services_started", services=[s.name for s in self.services],
                 instance=self.instance)

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await stop_broker(self.broker)
        await self.mongo.close()
        log.info("services_stopped", services=[s.name for s in self.services])

    async def _run_periodic(self, periodic: Periodic, ctx: ServiceContext) -> None:
        seconds = periodic.interval(ctx)
        while not self._stop.is_set():
            try:
                with handling(new_id(), new_id(), ctx.service.name, task=periodic.name):
                    await periodic.handler(ctx)
            except Exception as exc:
                log.warning("periodic_task_failed", task=periodic.name, error=repr(exc))
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=seconds)
            except TimeoutError:
                pass

    async def check_calendar(self) -> None:
        """Reload an operator's calendar directory that changed, then let each service
        recompute its provisional deadlines once per calendar revision."""
        directory = self.settings.calendar_dir
        signature = directory_signature(directory)
        if directory is not None and signature != self._calendar_signature:
            reloaded = reload_calendar(directory)
            if reloaded is not None:
                self.calendar = reloaded
                for ctx in self.contexts.values():
                    ctx.calendar = reloaded
                log.info("calendar_reloaded", directory=str(directory))
            self._calendar_signature = signature
        for ctx in self.contexts.values():
            try:
                await revise_if_changed(ctx)
            except Exception as exc:  # tried again at the next check
                log.warning("calendar_revision_failed", service=ctx.service.name,
                            error=repr(exc))

    async def _watch_calendar(self) -> None:
        while not self._stop.is_set():
            await self.check_calendar()
            try:
                await asyncio.wait_for(self._stop.wait(),
                                       timeout=self.settings.calendar_check_seconds)
            except TimeoutError:
                pass

    # --- binding -------------------------------------------------------------------

    def _bind(self, service: Service, ctx: ServiceContext) -> None:
        limit, queue = self.settings.handler_concurrency, self.settings.handler_queue_limit
        admission = self.admissions[service.name] = Admission(
            limit, queue, self.settings.overload_retry_after_seconds)
        # FastStream hands a subscriber's messages to Python `max_workers` at a time; the
        # rest wait in nats-py's pending queue of the subscription (up to 524 288 messages
        # or 128 MiB, beyond which nats-py drops them as a slow consumer: no answer at all),
        # unseen and for as long as the handlers take. So let through every request the
        # service may admit (executing or waiting) plus a margin of tasks that only answer
        # `overloaded`, which takes a millisecond: the admission decides, not that queue.
        # (Measured, 1 000 requests at once on a 0.2 s handler: with max_workers = 16, 672
        # callers timed out with their requests still in that queue; with this, none did.)
        workers = limit + queue + max(limit, 16)
        health = service.contract.health.subject
        for spec, handler in service.commands.values():
            self.broker.subscriber(spec.subject, queue=service.name, title=spec.name,
                                   max_workers=workers, decoder=undecoded)(
                self._command_handler(spec.request, handler, ctx, admission))
        for qspec, qhandler in service.queries.values():
            self.broker.subscriber(qspec.subject, queue=service.name, title=qspec.name,
                                   max_workers=workers, decoder=undecoded)(
                # A service's own health query is never shed: it says why it is saturated.
                self._query_handler(qspec.request, qhandler, ctx,
                                    None if qspec.subject == health else admission))
        if health not in service.queries:
            self.broker.subscriber(health, queue=service.name, max_workers=4)(
                self._health_handler(ctx, admission))
        for sub in service.subscriptions:
            self.broker.subscriber(
                sub.spec.subject,
                stream=JStream(stream_name(sub.spec.service), declare=False),
                durable=sub.durable,
                pull_sub=PullSub(batch_size=16, timeout=1.0),
                # Pulled messages arrive on this connection's own inbox (deploy/nats lets
                # a user subscribe to its own prefix only).
                inbox_prefix=f"{inbox_prefix(self.settings)}.".encode(),
                ack_policy=AckPolicy.MANUAL,
                config=ConsumerConfig(
                    durable_name=sub.durable,
                    deliver_policy=DeliverPolicy.ALL,
                    ack_wait=self.settings.ack_wait_seconds,
                    # The server redelivers without limit; the kit counts tries itself so that
                    # a message that kills its handler's process still reaches the DLQ.
                    max_deliver=-1,
                    filter_subject=sub.spec.subject,
                ),
                title=sub.durable,
                decoder=undecoded,
            )(self._event_handler(sub, ctx))

    def _command_handler(self, model: type[BaseModel], handler: Any, ctx: ServiceContext,
                         admission: Admission) -> Any:
        name = ctx.service.name

        async def handle(msg: NatsMessage) -> Response:
            headers = dict(msg.headers or {})
            command_id = headers.get(H_ID) or new_id()
            correlation_id = headers.get(H_CORRELATION) or command_id
            with handling(command_id, correlation_id, name, subject=msg.raw_message.subject):
                refused = await _admit(admission, headers, "command")
                if refused is not None:
                    return _error(refused, correlation_id)
                try:
                    principal = _principal(msg, self.principals)
                    command = model.model_validate_json(msg.body or b"{}")
                    cctx = command_context(ctx, principal, command, command_id,
                                           correlation_id)
                    reply = await handler(command, cctx)
                    log.info("command_handled")
                    return _reply(reply, correlation_id)
                except ValidationError as exc:
                    return _error(_validation_error(exc), correlation_id)
                except GovbusError as exc:
                    log.info("command_refused", code=exc.code.value, reason=exc.message)
                    return _error(exc, correlation_id)
                except Exception:
                    # The stack goes to the log; the caller hears nothing of the cause.
                    log.exception("command_failed")
                    return _error(GovbusError(ErrorCode.internal, "internal error"),
                                  correlation_id)
                finally:
                    admission.leave()

        return handle

    def _query_handler(self, model: type[BaseModel], handler: Any, ctx: ServiceContext,
                       admission: Admission | None) -> Any:
        name = ctx.service.name

        async def handle(msg: NatsMessage) -> Response:
            headers = dict(msg.headers or {})
            query_id = headers.get(H_ID) or new_id()
            correlation_id = headers.get(H_CORRELATION) or query_id
            with handling(query_id, correlation_id, name, subject=msg.raw_message.subject):
                if admission is not None:
                    refused = await _admit(admission, headers, "query")
                    if refused is not None:
                        return _error(refused, correlation_id)
                try:
                    query = model.model_validate_json(msg.body or b"{}")
                    principal = _principal(msg, self.principals)
                    qctx = QueryContext(service=ctx, principal=principal,
                                        correlation_id=correlation_id)
                    return _reply(await handler(query, qctx), correlation_id)
                except ValidationError as exc:
                    return _error(_validation_error(exc), correlation_id)
                except GovbusError as exc:
                    return _error(exc, correlation_id)
                except Exception:
                    log.exception("query_failed")
                    return _error(GovbusError(ErrorCode.internal, "internal error"),
                                  correlation_id)
                finally:
                    if admission is not None:
                        admission.leave()

        return handle

    def _health_handler(self, ctx: ServiceContext, admission: Admission) -> Any:
        async def handle(msg: NatsMessage) -> Response:
            reply = await self.health(ctx, admission)
            return _reply(reply, (msg.headers or {}).get(H_CORRELATION, new_id()))

        return handle

    async def health(self, ctx: ServiceContext, admission: Admission) -> HealthReply:
        """The service's checks, each "ok" or "degraded: <why, with the figure>", and the
        figures behind them. Answering at all means the bus is connected."""
        checks = {"nats": "ok"}
        figures: dict[str, float] = {}
        store, backlogs = await asyncio.gather(
            self._store_check(ctx), self._backlog_checks(ctx))
        checks["mongo"], figures["store_ping_ms"] = store
        seen = admission.figures()
        figures.update({"commands_in_flight": seen.in_flight, "commands_queued": seen.queued,
                        "commands_shed": seen.shed, "commands_expired": seen.expired})
        checks["commands"] = (
            f"degraded: saturated ({seen.in_flight} executing, {seen.queued} waiting, limits "
            f"{admission.limit} and {admission.queue_limit}; {seen.shed} shed since start)"
            if seen.saturated else "ok")
        for durable, (check, backlog) in backlogs.items():
            checks[f"backlog.{durable}"] = check
            if backlog is not None:
                figures[f"backlog.{durable}"] = backlog
        status = "ok" if all(v == "ok" for v in checks.values()) else "degraded"
        # A warning, not a failure: deadlines into next year are computed provisionally.
        warning = next_year_warning(ctx.calendar, office_date(ctx.clock.now()))
        return HealthReply(service=ctx.service.name, status=status, instance=self.instance,
                           version=ctx.service.version, checks=checks, figures=figures,
                           warnings=[warning] if warning else [])

    async def _store_check(self, ctx: ServiceContext) -> tuple[str, float]:
        limit = self.settings.health_store_slow_ms
        started = time.perf_counter()
        try:
            await asyncio.wait_for(ctx.db.command("ping"), timeout=HEALTH_STORE_TIMEOUT)
        except Exception as exc:
            took = (time.perf_counter() - started) * 1000
            why = (f"did not answer within {HEALTH_STORE_TIMEOUT * 1000:.0f} ms"
                   if isinstance(exc, TimeoutError) else f"failed ({type(exc).__name__})")
            return f"degraded: store {why}", round(took, 1)
        took = round((time.perf_counter() - started) * 1000, 1)
        if took > limit:
            return f"degraded: store answered in {took:.0f} ms (limit {limit:g})", took
        return "ok", took

    async def _backlog_checks(self, ctx: ServiceContext
                              ) -> dict[str, tuple[str, float | None]]:
        """Per event consumer: messages not yet delivered plus delivered but not yet
        acknowledged (one JetStream API call each, at once, with a short timeout)."""
        subscriptions = ctx.service.subscriptions
        if not subscriptions:
            return {}
        limit = self.settings.health_backlog_max
        js = self.broker.connection.jetstream()

        async def one(sub: Subscription) -> tuple[str, tuple[str, float | None]]:
            try:
                info = await js.consumer_info(stream_name(sub.spec.service), sub.durable,
                                              timeout=HEALTH_JS_TIMEOUT)
            except Exception as exc:
                return sub.durable, (
                    f"degraded: its consumer info did not answer ({type(exc).__name__})", None)
            backlog = (info.num_pending or 0) + (info.num_ack_pending or 0)
            if backlog > limit:
                return sub.durable, (f"degraded: {backlog} messages not yet acknowledged "
                                     f"(limit {limit})", backlog)
            return sub.durable, ("ok", backlog)

        return dict(await asyncio.gather(*(one(sub) for sub in subscriptions)))

    def _event_handler(self, sub: Subscription, ctx: ServiceContext) -> Any:
        name = ctx.service.name
        max_tries = self.settings.max_deliver
        backoff = self.settings.retry_backoff_seconds or [1.0]

        async def handle(msg: NatsMessage) -> None:
            raw = msg.raw_message
            tries = raw.metadata.num_delivered
            headers = dict(msg.headers or {})
            event_id = headers.get(H_ID, "")
            with handling(event_id or new_id(), headers.get(H_CORRELATION) or event_id or new_id(),
                          name, consumer=sub.durable, subject=raw.subject):
                if tries > max_tries:
                    # Tried to the limit without an answer: the handler took its process down.
                    await self._dead_letter(msg, sub, tries, "no outcome after the last try "
                                            "(the handler's process stopped while handling it)")
                    return
                try:
                    envelope = Envelope.from_headers(headers)
                    unknown = _unknown_version(headers, sub.spec.type)
                    if unknown:
                        # Read as this version it would be misread: the publisher speaks a
                        # version this consumer does not know. No retry can change that.
                        await self._dead_letter(msg, sub, tries, f"unknown version: {unknown}")
                        return
                    event = sub.spec.model.model_validate_json(msg.body or b"{}")
                except (ValidationError, ValueError) as exc:
                    # A malformed message cannot succeed on a retry: dead-letter it now.
                    await self._dead_letter(msg, sub, tries, f"malformed: {exc}")
                    return
                try:
                    ectx = EventContext(service=ctx, envelope=envelope, subject=raw.subject,
                                        deliveries=tries)
                    await sub.handler(event, ectx)
                except Exception as exc:
                    if tries >= max_tries:
                        await self._dead_letter(msg, sub, tries, "".join(
                            traceback.format_exception_only(type(exc), exc)).strip())
                    else:
                        delay = backoff[min(tries - 1, len(backoff) - 1)]
                        log.warning("event_handler_failed", tries=tries, retry_in=delay,
                                    error=repr(exc))
                        await msg.nack(delay=delay)
                    return
                await msg.ack()

        return handle

    async def _dead_letter(
        self, msg: NatsMessage, sub: Subscription, tries: int, error: str
    ) -> None:
        raw = msg.raw_message
        # As text: a value with non-ASCII bytes (a 收文 title in ce-subject) comes out of
        # nats-py's header parser as an e-mail Header, which the publish cannot send.
        headers = {k: v for k, v in headers_text(msg.headers).items()
                   if not k.lower().startswith("nats-")}
        seq = raw.metadata.sequence.stream
        headers.update({
            H_DLQ_ERROR: error[:4000],
            H_DLQ_SUBJECT: raw.subject,
            H_DLQ_CONSUMER: sub.durable,
            H_DLQ_STREAM: raw.metadata.stream,
            H_DLQ_SEQ: str(seq),
            H_DLQ_DELIVERIES: str(tries),
            H_DLQ_AT: datetime.now(UTC).isoformat(),
            # One dead letter per consumer and message, however often this runs.
            H_MSG_ID: f"dlq:{sub.durable}:{raw.metadata.stream}:{seq}",
        })
        try:
            await self.broker.publish(
                msg.body, dlq_subject(sub.owner, sub.durable, raw.subject),
                headers=headers, stream=DLQ_STREAM, timeout=5.0,
            )
        except Exception as exc:
            # The dead-letter stream did not take it: keep the message, try again later.
            log.error("dead_letter_failed", error=repr(exc))
            await msg.nack(delay=DLQ_RETRY_SECONDS)
            return
        log.error("event_dead_lettered", tries=tries, error=error[:500])
        await msg.ack()
