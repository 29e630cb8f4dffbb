"""Timers that read the engine's clock instead of the wall clock.

SpiffWorkflow's timer definitions compare against ``datetime.now()``; ours ask the workflow's
script engine for the time, so a test clock (or a worker's idea of now) decides when a timer
fires. The parser (engine.spec_classes) makes these classes and the serializer knows them by name.
"""

from datetime import UTC, datetime, timedelta

from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from .errors import ExecutionFailed
from .labels import short, spec_label


def _now(my_task) -> datetime:
    now = getattr(my_task.workflow.script_engine, "now", None)
    return now() if now else datetime.now(UTC)


def _read(my_task, value, parse, what: str):
    """`parse(value)`, or ExecutionFailed naming the timer when the expression gave something else.

    SpiffWorkflow's parsers raise bare Exceptions, TypeErrors or AttributeErrors for a value that
    is not what the timer needs (a number, a date given to a duration timer, "abc"), anything.
    """
    try:
        return parse(value)
    except Exception:  # noqa: BLE001 - any parse failure is the expression's value being wrong
        raise ExecutionFailed(f"{spec_label(my_task.task_spec)} 的定时表达式结果 {short(repr(value), 60)} "
                              f"不是{what}", getattr(my_task.task_spec, "bpmn_id", None)) from None


def _instant(value) -> datetime:
    if not isinstance(value, str) or value.upper().startswith("P"):
        raise ValueError(value)
    return TimerEventDefinition.parse_time_or_duration(value)


def _duration(value) -> dict:
    if not isinstance(value, str):
        raise ValueError(value)
    return TimerEventDefinition.parse_iso_duration(value)


INSTANT = "有效的 ISO 8601 时间（如 2026-12-01T09:00:00+08:00）"


class ClockedTimeDateEventDefinition(TimeDateEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task._set_internal_data(event_value=event_value)
        if _read(my_task, event_value, _instant, INSTANT) < _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedDurationTimerEventDefinition(DurationTimerEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = _read(my_task, expression, _duration, "有效的 ISO 8601 期间（如 \"P5D\"）")
            start = _now(my_task)
            event_value = (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) < _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedCycleTimerEventDefinition(CycleTimerEventDefinition):
    def cycle_complete(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = _read(my_task, expression, TimerEventDefinition.parse_iso_recurring_interval,
                                            "有效的 ISO 8601 循环（如 \"R3/PT1H\"）")
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event < _now(my_task):
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


CLOCKED = {
    TimeDateEventDefinition: ClockedTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockedDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockedCycleTimerEventDefinition,
}
SERIALIZER_CONFIG = {cls: TimerConditionalEventDefinitionConverter for cls in CLOCKED.values()}


def clocked_parser(parser_class):
    """`parser_class`, or a subclass of it whose timer events come out clocked."""
    if not hasattr(parser_class, "parse_timer_event"):
        return parser_class

    def parse_timer_event(self, event):
        plain = parser_class.parse_timer_event(self, event)
        clocked = CLOCKED.get(type(plain))
        return clocked(plain.name, plain.expression, description=plain.description) if clocked else plain

    return type(parser_class.__name__, (parser_class,), {"parse_timer_event": parse_timer_event})
