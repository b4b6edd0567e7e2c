"""The domain toolkit (govbus_kit.domain) and the step helper (govbus_kit.workflow): who acts,
status guards, and a one-line workflow handler on the in-memory repository — a refusal
changes nothing, an invisible aggregate is an unknown id, a retried command its first reply,
and the service's own settings reach the handler through its context."""

from __future__ import annotations

from enum import StrEnum

import pytest
from pydantic_settings import BaseSettings, SettingsConfigDict

from govbus_contracts import Command, Event, ServiceContract
from govbus_contracts.base import Reply
from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.domain import (
    Actor,
    Aggregate,
    Change,
    Emit,
    Outcome,
    act_as,
    require_status,
    system_actor,
)
from govbus_kit.memory import MemoryHost
from govbus_kit.service import CommandContext, Service
from govbus_kit.workflow import Workflow

CONTRACT = ServiceContract("toolkittest")


class Role(StrEnum):
    clerk = "clerk"
    leader = "leader"


class Status(StrEnum):
    open = "待办"
    done = "已办结"


class Closed(Event):
    id: str


class Close(Command):
    id: str


class Ack(Reply):
    id: str
    status: Status
    version: int
    office: str


CLOSED = CONTRACT.event("case", "closed", Closed)
CLOSE = CONTRACT.command("close_case", Close, Ack)


class ToolkitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVBUS_TOOLKITTEST_")
    office: str = "办公室"


class Case(Aggregate):
    status: Status = Status.open
    owner: str = "alice"
    closed_by: str | None = None


def close(case: Case, principal: Principal) -> Change[Case]:
    actor = act_as(principal, Role.clerk, Role.leader, step="办结")
    require_status(case.status, (Status.open,), step="办结", what=f"事项{case.id}", id=case.id)
    return Change(case.model_copy(update={"status": Status.done, "closed_by": actor.subject}),
                  [Emit(CLOSED, Closed(id=case.id))])


def visible(principal: Principal, case: Case | None, case_id: str) -> Case:
    if case is None or case.owner != principal.subject:
        raise GovbusError(ErrorCode.not_found, f"事项{case_id}不存在", id=case_id)
    return case


service = Service(CONTRACT, settings=ToolkitSettings)
CASES = Workflow("cases", Case, Ack, visible=visible,
                 ack=lambda c, v: Ack(id=c.id, status=c.status, version=v, office=""))


@service.command(CLOSE)
async def close_case(cmd: Close, ctx: CommandContext) -> Ack:
    office = ctx.service.own_settings(ToolkitSettings).office
    reply = await CASES.step(ctx, cmd.id, lambda case: close(case, ctx.principal))
    return reply.model_copy(update={"office": office})


async def seed(host: MemoryHost) -> None:
    def open_case(current: Case | None) -> Outcome[Case, int]:
        return Outcome(Case(id="c1"), 1)

    await host.ctx.repository("cases", Case).execute("c1", open_case)


ALICE = Principal(subject="alice", name="张三", roles=frozenset({"clerk"}), department="办公室")


def test_act_as_takes_the_first_role_held_and_keeps_the_subject_as_identity() -> None:
    actor = act_as(ALICE, Role.leader, Role.clerk, step="办结")
    assert actor == Actor("alice", "张三", "clerk", "办公室")
    assert actor.display == "张三"


def test_act_as_refuses_a_principal_without_any_of_the_roles() -> None:
    with pytest.raises(GovbusError) as refused:
        act_as(Principal(subject="bob"), Role.leader, step="批示")
    assert refused.value.code == ErrorCode.forbidden
    assert refused.value.details["required_roles"] == ["leader"]


def test_require_status_names_the_status_the_step_and_where_it_may_start() -> None:
    with pytest.raises(GovbusError) as refused:
        require_status(Status.done, (Status.open,), step="办结", what="事项1", id="1")
    assert refused.value.code == ErrorCode.invalid_transition
    assert refused.value.message == "事项1当前为「已办结」, 不能办结"
    assert refused.value.details == {"id": "1", "status": "已办结", "step": "办结",
                                     "allowed_from": ["待办"]}


def test_system_actor_is_the_service_itself() -> None:
    assert system_actor("documents", "催办提醒") == Actor("system:documents", "催办提醒",
                                                         "system")


async def test_a_one_line_step_writes_state_and_facts_once_per_command() -> None:
    host = MemoryHost(service, options=ToolkitSettings(office="督查室"))
    await seed(host)
    first = await host.command(CLOSE, {"id": "c1"}, ALICE, command_id="k1")
    again = await host.command(CLOSE, {"id": "c1"}, ALICE, command_id="k1")
    assert first == again == {"id": "c1", "status": "已办结", "version": 2, "office": "督查室"}
    assert [e.type for e in host.memory.events].count(CLOSED.type) == 1


async def test_an_invisible_case_is_an_unknown_id_and_a_refusal_changes_nothing() -> None:
    host = MemoryHost(service, options=ToolkitSettings())
    await seed(host)
    with pytest.raises(GovbusError) as hidden:
        await host.command(CLOSE, {"id": "c1"}, Principal(subject="bob", roles=frozenset({
            "clerk"})))
    with pytest.raises(GovbusError) as unknown:
        await host.command(CLOSE, {"id": "nope"}, ALICE)
    assert (hidden.value.code, unknown.value.code) == (ErrorCode.not_found, ErrorCode.not_found)
    await host.command(CLOSE, {"id": "c1"}, ALICE)
    with pytest.raises(GovbusError) as twice:
        await host.command(CLOSE, {"id": "c1"}, ALICE)
    assert twice.value.code == ErrorCode.invalid_transition
    stored = await host.ctx.repository("cases", Case).get("c1")
    assert stored is not None and stored.version == 2


def test_the_settings_type_is_read_when_the_service_starts_not_at_import(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVBUS_TOOLKITTEST_OFFICE", "信息公开办")
    assert MemoryHost(service).ctx.own_settings(ToolkitSettings).office == "信息公开办"
    with pytest.raises(RuntimeError):
        MemoryHost(Service(CONTRACT)).ctx.own_settings(ToolkitSettings)


def test_a_periodic_task_reads_its_interval_from_the_running_service() -> None:
    class SweepSettings(BaseSettings):
        sweep_seconds: float = 60.0

    swept = Service(ServiceContract("toolkitsweep"), settings=SweepSettings)

    @swept.every(lambda ctx: ctx.own_settings(SweepSettings).sweep_seconds, name="sweep")
    async def sweep(ctx: object) -> None: ...

    @swept.every(5.0)
    async def fixed(ctx: object) -> None: ...

    host = MemoryHost(swept, options=SweepSettings(sweep_seconds=2.5))
    assert [p.interval(host.ctx) for p in swept.periodic_tasks] == [2.5, 5.0]
