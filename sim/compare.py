"""Figure by figure: the simulator's ledger against what the platform reports. Every figure
must be equal."""

from dataclasses import dataclass

EQUAL, DIFFERENT = "equal", "DIFFERENT"


@dataclass(frozen=True)
class Figure:
    name: str
    expected: object
    reported: object

    @property
    def verdict(self):
        return EQUAL if self.reported == self.expected else DIFFERENT


def figures(name, expected, reported, fields):
    """One figure per field of two mappings (a missing one counts as 0 or None)."""
    expected, reported = expected or {}, reported or {}
    return [
        Figure(f"{name} {field}", expected.get(field, _empty(field)), reported.get(field, _empty(field)))
        for field in fields
    ]


def _empty(field):
    return None if field.endswith(("rate", "minutes", "seconds")) else 0


def keyed(name, expected, reported, fields):
    """Figures of two mappings of rows (department → row, …), over the keys of both."""
    found = []
    for key in sorted(set(expected) | set(reported), key=str):
        found += figures(f"{name}[{key}]", expected.get(key), reported.get(key), fields)
    return found


def differences(found):
    return [f for f in found if f.verdict == DIFFERENT]


def report(found, only_problems=False):
    width = max((len(f.name) for f in found), default=10)
    lines = [f"{'figure':<{width}}  {'simulator':>14}  {'platform':>14}  verdict"]
    for f in found:
        if only_problems and f.verdict == EQUAL:
            continue
        lines.append(f"{f.name:<{width}}  {f.expected!s:>14}  {f.reported!s:>14}  {f.verdict}")
    counts = {v: sum(f.verdict == v for f in found) for v in (EQUAL, DIFFERENT)}
    lines.append(f"{counts[EQUAL]} equal, {counts[DIFFERENT]} different")
    return "\n".join(lines)
