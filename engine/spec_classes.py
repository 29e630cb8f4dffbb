"""The classes the engine uses in place of SpiffWorkflow's, for the parser and the serializer alike.

Timers read the engine's clock (engine.timers), joins count only their own round's tokens
(engine.gateways) and parallel multi-instance tasks open a bounded number of instances
(engine.multi_instance). The parser makes these classes; the serializer's configuration knows them,
so a stored spec loads as them.
"""

from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG

from .gateways import REPLACED as GATEWAYS
from .multi_instance import REPLACED as MULTI_INSTANCE
from .timers import SERIALIZER_CONFIG as TIMER_CONFIG
from .timers import clocked_parser

REPLACED = {**GATEWAYS, **MULTI_INSTANCE}


def _engine_parser(parser_class):
    """`parser_class` making clocked timers and, for a task with loop characteristics, the engine's class."""
    parser_class = clocked_parser(parser_class)
    multi = getattr(parser_class, "PARALLEL_MI_CLASS", None)
    if multi in REPLACED:
        parser_class = type(parser_class.__name__, (parser_class,), {"PARALLEL_MI_CLASS": REPLACED[multi]})
    return parser_class


class EngineBpmnParser(BpmnParser):
    """The stock parser, making the engine's timers, joins and multi-instance tasks."""

    PARSER_CLASSES = {tag: (_engine_parser(parser), REPLACED.get(spec, spec))
                      for tag, (parser, spec) in BpmnParser.PARSER_CLASSES.items()}


# The engine's classes keep the stock class names, so they take the stock entries' places.
SPEC_CONFIG = {**{cls: conv for cls, conv in DEFAULT_CONFIG.items() if cls not in REPLACED},
               **{ours: DEFAULT_CONFIG[stock] for stock, ours in REPLACED.items()},
               **TIMER_CONFIG}
