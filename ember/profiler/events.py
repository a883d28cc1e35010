"""What the profiler recorded: `FunctionEvent`s, their self times, and `key_averages()` tables.

An event is one op (an eager primitive call, forward or backward), one autograd node's backward
(`<op>_backward`, holding the primitive calls it makes), one kernel of a compiled step, or one
`record_function` range, with its start and end in nanoseconds on the host clock. Events
nest by time (a range holds the ops inside it; a compiled backward kernel holds the primitives its
backward code calls); an event's self time is its duration minus its direct children's.

    >>> prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10)   # doctest: +SKIP
"""
from dataclasses import dataclass, field

from ember.errors import ArgumentError


@dataclass
class FunctionEvent:
    name: str
    start_ns: int
    end_ns: int
    # "op" (an eager primitive call), "node" (an autograd node's whole backward, eager), "kernel" (a call in a
    # compiled step), "range" (record_function)
    kind: str = "op"
    phase: str = "forward"        # "forward" or "backward"
    input_shapes: list = field(default_factory=list)
    bytes: int = 0                # bytes of the arrays the op itself returned (views: 0)
    module: str = ""
    stack: list = field(default_factory=list)
    children: list = field(default_factory=list, repr=False)

    @property
    def key(self):
        return self.name if self.phase == "forward" or self.kind == "range" else f"{self.name} [backward]"

    @property
    def cpu_time_total(self):
        """Duration in microseconds (the unit of torch.profiler's tables)."""
        return (self.end_ns - self.start_ns) / 1e3

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.children)

    @property
    def cpu_memory_usage(self):
        """Bytes allocated by the event and everything inside it."""
        return self.bytes + sum(c.cpu_memory_usage for c in self.children)

    @property
    def self_cpu_memory_usage(self):
        return self.bytes


def nest(events):
    """Link each event to its direct children (events inside its time span); returns the roots, in
    start order. Ties (an event starting where its parent starts) go to the longer one as parent."""
    ordered = sorted(events, key=lambda e: (e.start_ns, -e.end_ns))
    roots, stack = [], []
    for e in ordered:
        e.children = []
        while stack and stack[-1].end_ns <= e.start_ns:
            stack.pop()
        while stack and e.end_ns > stack[-1].end_ns:  # overlaps without nesting: not a child
            stack.pop()
        (stack[-1].children if stack else roots).append(e)
        stack.append(e)
    return roots


@dataclass
class FunctionEventAvg:
    key: str
    count: int = 0
    cpu_time_total: float = 0.0
    self_cpu_time_total: float = 0.0
    cpu_memory_usage: int = 0
    self_cpu_memory_usage: int = 0
    input_shapes: object = None

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)

    @property
    def self_cpu_time(self):
        return self.self_cpu_time_total / max(self.count, 1)


SORT_KEYS = ("self_cpu_time_total", "cpu_time_total", "cpu_time", "self_cpu_time", "count",
             "cpu_memory_usage", "self_cpu_memory_usage")


class EventList(list):
    """A list of events (or of averages) with `key_averages()`, `table()` and `self_cpu_time_total`."""

    def key_averages(self, group_by_input_shape=False):
        nest(self)
        groups = {}
        for e in self:
            shapes = str(e.input_shapes) if group_by_input_shape else None
            avg = groups.setdefault((e.key, shapes), FunctionEventAvg(e.key, input_shapes=shapes))
            avg.count += 1
            avg.cpu_time_total += e.cpu_time_total
            avg.self_cpu_time_total += e.self_cpu_time_total
            avg.cpu_memory_usage += e.cpu_memory_usage
            avg.self_cpu_memory_usage += e.self_cpu_memory_usage
        return EventList(groups.values())

    @property
    def self_cpu_time_total(self):
        """Sum of the self times, in microseconds."""
        if self and isinstance(self[0], FunctionEvent):
            nest(self)
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by=None, row_limit=100, header=None, max_name_column_width=55):
        """The rows as text, as torch.profiler prints them: sorted by `sort_by` (descending)."""
        rows = self if self and isinstance(self[0], FunctionEventAvg) else self.key_averages()
        if sort_by is not None:
            if sort_by not in SORT_KEYS:
                raise ArgumentError(f"table: sort_by must be one of {', '.join(SORT_KEYS)}, got {sort_by!r}")
            rows = sorted(rows, key=lambda r: getattr(r, sort_by), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        return _render(rows, self, header, max_name_column_width)


def _fmt_us(us):
    return f"{us / 1e6:.3f}s" if us >= 1e6 else f"{us / 1e3:.3f}ms" if us >= 1e3 else f"{us:.3f}us"


def _fmt_bytes(n):
    for unit, size in (("Gb", 1 << 30), ("Mb", 1 << 20), ("Kb", 1 << 10)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n} b"


def _render(rows, everything, header, width):
    total_self = sum(r.self_cpu_time_total for r in everything.key_averages()) if everything and \
        isinstance(everything[0], FunctionEvent) else sum(r.self_cpu_time_total for r in everything)
    total_self = total_self or 1.0
    shapes = any(r.input_shapes for r in rows)
    name_w = min(max([len("Name")] + [len(r.key) for r in rows]) + 2, width)
    cols = [("Name", name_w), ("Self CPU %", 12), ("Self CPU", 12), ("CPU total %", 12), ("CPU total", 12),
            ("CPU time avg", 13), ("CPU Mem", 12), ("Self CPU Mem", 13), ("# of Calls", 11)]
    if shapes:
        cols.append(("Input Shapes", 40))
    line = "-" * (sum(w for _, w in cols) + len(cols))
    out = [header] if header else []
    out += [line, " ".join(f"{n:>{w}}" if i else f"{n:<{w}}" for i, (n, w) in enumerate(cols)), line]
    for r in rows:
        cells = [r.key[:name_w - 1], f"{100 * r.self_cpu_time_total / total_self:.2f}%", _fmt_us(r.self_cpu_time_total),
                 f"{100 * r.cpu_time_total / total_self:.2f}%", _fmt_us(r.cpu_time_total), _fmt_us(r.cpu_time),
                 _fmt_bytes(r.cpu_memory_usage), _fmt_bytes(r.self_cpu_memory_usage), str(r.count)]
        if shapes:
            cells.append(str(r.input_shapes or "")[:40])
        out.append(" ".join(f"{c:>{w}}" if i else f"{c:<{w}}" for i, (c, (_, w)) in enumerate(zip(cells, cols))))
    out += [line, f"Self CPU time total: {_fmt_us(total_self)}", ""]
    return "\n".join(out)
