"""Figure by figure: the simulator's ledger against what the platform reports. Every figure
must be equal; a figure the platform does not report, or computes by another definition,
is listed as a known difference (it neither passes nor fails the run) with the reason."""
from dataclasses import dataclass

from sim.ledger import Accept

EQUAL, DIFFERENT, KNOWN = "equal", "DIFFERENT", "known difference"


@dataclass(frozen=True)
class Figure:
    name: str
    expected: object
    reported: object
    known: str | None = None  # why this figure is not compared strictly

    @property
    def verdict(self):
        if self.known:
            return KNOWN
        matches = self.reported in self.expected if isinstance(self.expected, Accept) else (
            self.reported == self.expected)
        return EQUAL if matches else DIFFERENT


def figures(name, expected, reported, fields):
    """One figure per field of two mappings (a missing one counts as 0 or None)."""
    expected, reported = expected or {}, reported or {}
    return [Figure(f"{name} {field}", expected.get(field, _empty(field)), reported.get(field, _empty(field)))
            for field in fields]


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
        line = f"{f.name:<{width}}  {f.expected!s:>14}  {f.reported!s:>14}  {f.verdict}"
        lines.append(line + (f" — {f.known}" if f.known else ""))
    counts = {v: sum(f.verdict == v for f in found) for v in (EQUAL, DIFFERENT, KNOWN)}
    lines.append(f"{counts[EQUAL]} equal, {counts[DIFFERENT]} different, {counts[KNOWN]} known difference(s)")
    return "\n".join(lines)
