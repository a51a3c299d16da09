"""`--chart`: a day's queue lengths per category and each ticket's wait by the time it was
issued, as a PNG (matplotlib, the `sim` extra). Drawn from tickets' stamps (issue, first
call): the simulated day's, as the platform stamped them, or any day the platform recorded
(`--chart-from-platform DAY`, `GET /api/v1/queue/tickets`). A ticket waits from its issue to
its first call; one never called waits to the end of the chart."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from sim.workdays import SHANGHAI


@dataclass(frozen=True)
class Stamped:
    category: str  # the category it was issued in
    issued_at: datetime
    called_at: datetime | None


def of_ledger(ledger):
    return [Stamped(t.category, t.issued_at, t.called_at) for t in ledger.tickets.values()]


def of_platform(gateway, day, as_user="supervisor"):
    """The day's tickets as the platform recorded them."""
    answer = gateway.get("/api/v1/queue/tickets", as_user=as_user, params={"day": day})
    return [
        Stamped(
            t["number"][0],
            datetime.fromisoformat(t["issued_at"]),
            datetime.fromisoformat(t["called_at"]) if t["called_at"] else None,
        )
        for t in answer["tickets"]
    ]


def queue_lengths(tickets):
    """Per category, ``[(moment, tickets waiting from then on)]``: one step per issue and call."""
    steps = defaultdict(list)
    for t in tickets:
        steps[t.category].append((t.issued_at, 1))
        if t.called_at:
            steps[t.category].append((t.called_at, -1))
    lengths = {}
    for category, changes in steps.items():
        waiting, points = 0, []
        for moment, change in sorted(changes):
            waiting += change
            points.append((moment, waiting))
        lengths[category] = points
    return lengths


def local(moment):
    return moment.astimezone(SHANGHAI).replace(tzinfo=None)


def draw(day, tickets, path):
    figure, (lengths_axis, waits_axis) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    for category, points in sorted(queue_lengths(tickets).items()):
        lengths_axis.step([local(m) for m, _ in points], [n for _, n in points], where="post", label=category)
        called = sorted(
            (t.issued_at, (t.called_at - t.issued_at).total_seconds() / 60)
            for t in tickets
            if t.category == category and t.called_at
        )
        waits_axis.plot([local(i) for i, _ in called], [w for _, w in called], ".", markersize=3, label=category)
    lengths_axis.set_ylabel("waiting (tickets)")
    lengths_axis.set_title(f"The hall on {day}: queue lengths and waits per category")
    lengths_axis.legend(title="category")
    waits_axis.set_ylabel("wait until called (min)")
    waits_axis.set_xlabel("time of day (Asia/Shanghai)")
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
