"""Bounds on rendering a message template: a render stops after RENDER_SECONDS, and neither
the message nor any value built on the way may print as more than MESSAGE_MAX characters.

Templates are operator files, easy to get wrong, and they render untrusted data:
`{% for a in range(100000) %}{% for b in range(100000) %}…` is 10^10 turns of a Python loop,
`{{ 'x' * 10**9 }}` a gigabyte. `check` and a reload must say so instead of hanging, and a
send must fail (DeliveryError) instead of stalling a worker thread or eating the memory.

The time bound: cooperative checks, no watchdog. Jinja compiles a template to Python in
which every step that can repeat goes through this environment: calls (macros, `loop()`,
methods), attribute and item lookups, the intercepted operators, filters and tests (wrapped
here), output, and, through a code generator that wraps them, every `for` loop's items and
every `~` operand. Each of those checks the render's deadline (tick), so no loop in a
template runs more than one step past it, and nothing has to be interrupted from outside.
We chose this over a trace function (sys.settrace slows every line run in the thread and
takes the slot debuggers and coverage use) and over an exception raised into the thread by a
timer (PyThreadState_SetAsyncExc can land after the render ended, in whatever the worker
thread runs next). A check cannot stop one long C call; the size bounds keep those short.

The size bound: no value may print as more than MESSAGE_MAX characters. Results of
operators, calls, filters and container literals are measured, and the calls that multiply
their input are estimated before they run (sizes.py), so a template cannot allocate a huge
string on the way to failing. Output is counted while it streams (generate()), and output
captured by blocks, macros and `{% set %}` is counted as it is collected. The sandbox is the
immutable one, so no list or dict can grow where no check sees it. Left out: lipsum (removed:
a placeholder generator has no use in alerts), and Python work inside one filter on a value
within the bound (wordwrap or urlize of a megabyte can take a second or so).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import Template, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from monitor.alerts.sizes import (
    FILTER_COSTS,
    MESSAGE_MAX,
    METHOD_COSTS,
    READ_FIRST,
    binop_size,
    weight,
)

RENDER_SECONDS = 2.0


class TemplateBoundError(Exception):
    """A template went past the time or size bound; str() says which."""


@dataclass(frozen=True, slots=True)
class _Budget:
    ends: float  # time.monotonic() deadline
    seconds: float


_BUDGET: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _too_big() -> TemplateBoundError:
    return TemplateBoundError(f"template exceeded the size bound ({MESSAGE_MAX:,} characters)")


def tick() -> None:
    """Raise TemplateBoundError once the current render's deadline has passed."""
    budget = _BUDGET.get()
    if budget is not None and time.monotonic() > budget.ends:
        raise TemplateBoundError(f"template exceeded the time bound ({budget.seconds:g} s)")


def checked(value: Any) -> Any:
    """The value, if the deadline has not passed and it is within the size bound."""
    tick()
    if weight(value, MESSAGE_MAX, tick) > MESSAGE_MAX:
        raise _too_big()
    return value


def checked_items(iterable: Iterable[Any]) -> Iterator[Any]:
    """A `for` loop's items, the deadline checked before each."""
    for item in iterable:
        tick()
        yield item


class _Buffer(list[str]):
    """Where a block, macro or {% set %} body collects its output: bounded as it grows, so a
    loop inside one cannot pile up pieces until the deadline."""

    __slots__ = ("size",)

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def append(self, piece: str) -> None:
        tick()
        self.size += len(piece)
        if self.size > MESSAGE_MAX:
            raise _too_big()
        super().append(piece)

    def extend(self, pieces: Iterable[str]) -> None:
        for piece in pieces:
            self.append(piece)


def _bounded_concat(parts: Iterable[str]) -> str:
    """Jinja's concat for captured blocks (macros, {% set %}…{% endset %}, filter blocks)."""
    pieces = parts if isinstance(parts, list) else list(checked_items(parts))
    if sum(map(len, pieces)) > MESSAGE_MAX:
        raise _too_big()
    return "".join(pieces)


# ---------------------------------------------------------------------------------------------
# Filters, tests and methods


def _check_cost(cost: Callable[..., int], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        size = cost(*args, **kwargs)
    except (TypeError, ValueError):  # arguments the call itself will reject
        return
    if size > MESSAGE_MAX:
        raise _too_big()


def _read_first(args: tuple[Any, ...], at: int) -> tuple[Any, ...]:
    if len(args) <= at or isinstance(args[at], str | bytes):
        return args
    return (*args[:at], list(checked_items(args[at])), *args[at + 1 :])


def _bounded(func: Callable[..., Any], name: str = "") -> Callable[..., Any]:
    """The filter (or test) with the deadline checked, its arguments and result measured and,
    for the filters named in FILTER_COSTS, the result estimated first."""
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0  # context/env first
    cost = FILTER_COSTS.get(name)

    @functools.wraps(func)  # keeps jinja_pass_arg, so Jinja still passes the context
    def bounded(*args: Any, **kwargs: Any) -> Any:
        tick()
        if name in READ_FIRST:
            args = _read_first(args, skip)
        for value in (*args[skip:], *kwargs.values()):
            checked(value)
        if cost:
            _check_cost(cost, args[skip:], kwargs)
        return checked(func(*args, **kwargs))

    return bounded


# ---------------------------------------------------------------------------------------------
# The environment and its code generator


# Filters only this module's code generator writes: their names cannot be written in a
# template ("@" is not allowed in a filter name), so a template cannot call or replace them.
_CHECKED, _CHECKED_ITEMS = "@checked", "@checked_items"


def _check(node: nodes.Expr, name: str = _CHECKED) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


class _AddChecks(NodeTransformer):
    """Passes every for-loop iterable, `~` operand and container literal through a check."""

    def visit_For(self, node: nodes.For) -> nodes.For:
        node = self.generic_visit(node)
        node.iter = _check(node.iter, _CHECKED_ITEMS)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Concat:
        node = self.generic_visit(node)
        node.nodes = [_check(n) for n in node.nodes]
        return node

    def _literal(self, node: nodes.Expr) -> nodes.Expr:
        return _check(self.generic_visit(node))

    visit_List = visit_Dict = _literal

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Expr:
        return self._literal(node) if node.ctx == "load" else self.generic_visit(node)


class _CheckingCodeGenerator(CodeGenerator):
    """Jinja's code generator, run on the template with the checks of _AddChecks added, and
    with bounded buffers for captured output."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        _AddChecks().visit(node)
        super().visit_Template(node, frame)

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.new_buffer()")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the time and size bounds of this module.

    Immutable: list.append and the like are refused, so a template cannot grow a structure
    where no check sees it. `filters` are added to Jinja's own; all of them are bounded.
    """

    code_generator_class = _CheckingCodeGenerator
    concat = staticmethod(_bounded_concat)
    new_buffer = _Buffer
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *, filters: Mapping[str, Callable[..., Any]], **options: Any) -> None:
        super().__init__(finalize=checked, **options)
        self.globals.pop("lipsum", None)
        self.filters.update(filters)
        self.filters = {name: _bounded(f, name) for name, f in self.filters.items()}
        self.tests = {name: _bounded(f) for name, f in self.tests.items()}
        self.filters.update({_CHECKED: checked, _CHECKED_ITEMS: checked_items})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        tick()
        if binop_size(operator, left, right) > MESSAGE_MAX:
            raise _too_big()
        return checked(super().call_binop(context, operator, left, right))

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        tick()
        method = getattr(obj, "__wrapped__", obj)  # str.format comes wrapped by the sandbox
        owner, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
        cost = METHOD_COSTS.get(name) if isinstance(owner, str | bytes) else None
        if cost and name in READ_FIRST:
            args = _read_first(args, 0)
        for value in (*args, *kwargs.values()):
            checked(value)
        if cost:
            _check_cost(cost, (owner, *args), kwargs)
        return checked(super().call(context, obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        tick()
        return super().getitem(obj, argument)



@contextmanager
def render_budget(seconds: float = RENDER_SECONDS) -> Iterator[None]:
    """Renders in this block (this thread, this task) stop `seconds` from now."""
    token = _BUDGET.set(_Budget(time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def render_bounded(template: Template, values: dict[str, Any]) -> str:
    """The template rendered within the time and size bounds, or TemplateBoundError.

    The output is counted while it streams; a bound passed between two pieces is raised
    inside the template (generator.throw), so the error names the template line.
    """
    with render_budget():
        stream = template.generate(values)
        pieces: list[str] = []
        size = 0
        for piece in stream:
            size += len(piece)
            try:
                tick()
                if size > MESSAGE_MAX:
                    raise _too_big()
            except TemplateBoundError as exc:
                stream.throw(exc)  # raises it again, from the template line of that piece
                raise
            pieces.append(piece)
        return "".join(pieces)
