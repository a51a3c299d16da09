"""`make simulate` (`python -m sim`): a day in the hall through the public API, with the
proof that the platform's figures equal the simulator's ledger and the staffing plan.

Without ``--url`` a throw-away platform is started (as `make test` starts one, demo mode);
with ``--url`` a running demo platform is used (its clock is moved and set back at the end).
Exit code 1 when a figure differs. ``--chart-from-platform DAY --chart PATH --url …`` only
draws the chart of a day the platform recorded."""

import argparse
import sys
import tempfile
import time

from sim.arrivals import Profile
from sim.clock import PlatformClock
from sim.compare import differences, report
from sim.gateway import Gateway
from sim.planning import table
from sim.simulation import Options, simulate


def pairs(text, key=str, value=float):
    """``"A=2,B=1"`` → ``{"A": 2.0, "B": 1.0}``."""
    return {key(k): value(v) for k, v in (part.split("=", 1) for part in text.split(",") if part)}


def arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m sim", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running demo platform's gateway (default: start one)")
    parser.add_argument("--password", default="demo", help="the demo users' password (DEMO_PASSWORD)")
    parser.add_argument("--applicants", type=int, default=400, help="expected applicants over the day")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--target-wait", type=float, default=15.0, help="mean wait to plan for, minutes")
    parser.add_argument("--windows", type=lambda t: pairs(t, value=int), help="windows per category, e.g. A=3,B=2,C=4")
    parser.add_argument("--mix", type=pairs, help="weights per process, e.g. immediate_item=5,promised_item=3")
    parser.add_argument(
        "--satisfaction",
        type=lambda t: pairs(t, key=int),
        help="evaluation levels' shares, e.g. 5=0.7,4=0.2,3=0.05,2=0.03,1=0.02",
    )
    parser.add_argument("--late", type=float, default=Profile.late, help="share of promised cases decided late")
    parser.add_argument("--chart", help="write a PNG of queue lengths and waits through the day")
    parser.add_argument(
        "--chart-from-platform",
        metavar="DAY",
        help="only draw --chart from the tickets the platform at --url recorded on DAY (YYYY-MM-DD)",
    )
    parser.add_argument("--plan-only", action="store_true", help="print the staffing plan and stop")
    parser.add_argument("--all", action="store_true", help="print every figure, not only differences")
    args = parser.parse_args(argv)
    if args.chart_from_platform and not (args.url and args.chart):
        parser.error("--chart-from-platform reads a running platform (--url) and writes --chart")
    return args


def profile_of(args):
    profile = Profile(applicants=args.applicants, late=args.late)
    if args.mix:
        profile.mix = args.mix
    if args.satisfaction:
        profile.satisfaction = args.satisfaction
    return profile


def progress(line):
    print(line, file=sys.stderr, flush=True)


def run(args, url):
    gateway = Gateway(url, {None: args.password})
    options = Options(
        seed=args.seed, profile=profile_of(args), target_wait_minutes=args.target_wait, windows=args.windows
    )
    started = time.monotonic()
    outcome = simulate(gateway, PlatformClock(gateway), options, progress, plan_only=args.plan_only)
    print(table(outcome.plans, args.target_wait))
    if args.plan_only:
        return 0
    print()
    print(report(outcome.figures, only_problems=not args.all))
    seen = {level: len(cases) for level, cases in sorted(outcome.warnings_seen.items())}
    print(f"\nwarnings seen by the supervisors (cases): {seen or 'none'}")
    print(
        f"{len(outcome.people)} applicants, {len(outcome.ledger.cases)} cases on {outcome.day}; "
        f"{outcome.http_calls} HTTP calls, {outcome.clock_moves} clock moves, {time.monotonic() - started:.0f} s"
    )
    if args.chart:
        from sim.chart import draw, of_ledger

        draw(outcome.day, of_ledger(outcome.ledger), args.chart)
        print(f"chart: {args.chart}")
    return 1 if differences(outcome.figures) else 0


def chart_from_platform(args):
    from sim.chart import draw, of_platform

    tickets = of_platform(Gateway(args.url, {None: args.password}), args.chart_from_platform)
    draw(args.chart_from_platform, tickets, args.chart)
    print(f"chart of {args.chart_from_platform} ({len(tickets)} tickets): {args.chart}")
    return 0


def main(argv=None):
    args = arguments(argv)
    if args.chart_from_platform:
        return chart_from_platform(args)
    if args.url:
        return run(args, args.url)
    # The processes are started as `make test` starts them; the simulation itself speaks HTTP only.
    from stack.platform import Platform

    with tempfile.TemporaryDirectory(prefix="hall-sim-") as scratch:
        # A shared 2-core machine under a provincial hall's day answers slowly, not wrongly: the
        # gateway waits longer for a service than it does in production before giving up (503).
        platform = Platform(
            scratch,
            env={
                "APP_ENV": "demo",
                "DEMO_PASSWORD": args.password,
                "RATE_LIMIT_PER_MINUTE": "1000000",
                "RPC_TIMEOUT_SECONDS": "60",
            },
        )
        progress("starting a throw-away platform …")
        platform.start()
        try:
            return run(args, platform.gateway_url)
        finally:
            platform.stop()


if __name__ == "__main__":
    sys.exit(main())
