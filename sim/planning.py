"""Staffing the windows (窗口配置): the fewest windows per category that keep the average
wait under a target, from the arrival rate and the mean service time, by the M/M/c
(Erlang C) queue. The hall plans for its busiest hour, not the day's average, so that
the morning peak is covered."""

import math
from dataclasses import dataclass

MAX_WINDOWS = 999  # the platform numbers windows 1…999 (a provincial hall needs a few hundred)


def erlang_c(windows, offered):
    """The probability that an arrival waits, with ``offered`` = λ/μ Erlangs on ``windows`` servers."""
    if offered <= 0:
        return 0.0
    if windows <= offered:
        return 1.0
    term, total = 1.0, 1.0  # offered^k / k!, summed for k < windows
    for k in range(1, windows):
        term *= offered / k
        total += term
    last = term * offered / windows * windows / (windows - offered)
    return last / (total + last)


def mean_wait_minutes(windows, arrivals_per_hour, service_minutes):
    """The M/M/c mean wait in the queue, in minutes (infinite when the windows cannot keep up)."""
    offered = arrivals_per_hour * service_minutes / 60
    if windows <= offered:
        return math.inf
    if offered == 0:
        return 0.0
    return erlang_c(windows, offered) * service_minutes / (windows - offered)


@dataclass(frozen=True)
class Plan:
    category: str
    arrivals_per_hour: float
    service_minutes: float
    windows: int
    utilisation: float
    wait_probability: float
    mean_wait_minutes: float


def fewest_windows(arrivals_per_hour, service_minutes, target_minutes):
    """The smallest number of windows whose mean wait is at most ``target_minutes`` (at least one)."""
    for windows in range(1, MAX_WINDOWS + 1):
        if mean_wait_minutes(windows, arrivals_per_hour, service_minutes) <= target_minutes:
            return windows
    raise ValueError(f"more than {MAX_WINDOWS} windows needed for {arrivals_per_hour}/h × {service_minutes} min")


def plan(category, arrivals_per_hour, service_minutes, target_minutes):
    windows = fewest_windows(arrivals_per_hour, service_minutes, target_minutes)
    offered = arrivals_per_hour * service_minutes / 60
    return Plan(
        category,
        arrivals_per_hour,
        service_minutes,
        windows,
        offered / windows,
        erlang_c(windows, offered),
        mean_wait_minutes(windows, arrivals_per_hour, service_minutes),
    )


def table(plans, target_minutes):
    """The plan as the text table ``make simulate`` prints."""
    lines = [
        f"Windows per category for a mean wait under {target_minutes:g} min (M/M/c, busiest hour)",
        (
            f"{'category':<9}{'arrivals/h':>11}{'service min':>12}{'windows':>8}{'utilisation':>12}"
            f"{'P(wait)':>9}{'mean wait min':>14}"
        ),
    ]
    for p in plans:
        lines.append(
            f"{p.category:<9}{p.arrivals_per_hour:>11.1f}{p.service_minutes:>12.1f}{p.windows:>8d}"
            f"{p.utilisation:>12.0%}{p.wait_probability:>9.2f}{p.mean_wait_minutes:>14.1f}"
        )
    return "\n".join(lines)
