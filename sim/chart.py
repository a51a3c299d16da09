"""`--chart`: the day's queue lengths per category (the simulator's own count after each
simulated minute) and each ticket's wait by the time it was issued, as a PNG (matplotlib,
the `sim` extra)."""
import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from sim.workdays import SHANGHAI


def draw(outcome, path):
    categories = sorted({c for _, waiting in outcome.timeline for c in waiting}
                        | {t.category for t in outcome.ledger.tickets.values()})
    figure, (lengths, waits) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    moments = [m.astimezone(SHANGHAI).replace(tzinfo=None) for m, _ in outcome.timeline]
    for category in categories:
        lengths.step(moments, [w.get(category, 0) for _, w in outcome.timeline], where="post", label=category)
        called = sorted((t.issued_at, (t.called_at - t.issued_at).total_seconds() / 60)
                        for t in outcome.ledger.tickets.values() if t.category == category and t.called_at)
        waits.plot([i.astimezone(SHANGHAI).replace(tzinfo=None) for i, _ in called], [w for _, w in called],
                   ".", label=category)
    lengths.set_ylabel("waiting (tickets)")
    lengths.set_title(f"The hall on {outcome.day}: queue lengths and waits per category")
    lengths.legend(title="category")
    waits.set_ylabel("wait until called (min)")
    waits.set_xlabel("time of day (Asia/Shanghai)")
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
