"""The classes the engine uses in place of SpiffWorkflow's, for the parser and the serializer alike.

Timers read the engine's clock (engine.timers) and joins count only their own round's tokens
(engine.gateways). The parser makes these classes; the serializer's configuration knows them,
so a stored spec loads as them.
"""

from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG

from .gateways import REPLACED
from .timers import SERIALIZER_CONFIG as TIMER_CONFIG
from .timers import clocked_parser


class EngineBpmnParser(BpmnParser):
    """The stock parser, except that timers come out clocked and joins are the engine's."""

    PARSER_CLASSES = {tag: (clocked_parser(parser), REPLACED.get(spec, spec))
                      for tag, (parser, spec) in BpmnParser.PARSER_CLASSES.items()}


# The engine's joins keep the stock class names, so they take the stock entries' places.
SPEC_CONFIG = {**{cls: conv for cls, conv in DEFAULT_CONFIG.items() if cls not in REPLACED},
               **{ours: DEFAULT_CONFIG[stock] for stock, ours in REPLACED.items()},
               **TIMER_CONFIG}
