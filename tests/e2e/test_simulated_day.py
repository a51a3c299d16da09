"""A short simulated day in the hall (`make simulate`, seeded and small): applicants arrive,
take tickets or keep appointments, are served at the windows, their cases go through the
departments, the bank window and supervision over the following working days while the
platform clock moves, supervisors act on the warnings they see — and every figure the
platform reports equals the simulator's own ledger. Shares are raised above the hall's defaults so that a small day still has refusals,
supplements, no-shows, late cases, fees, bad reviews and complaints to count."""

from sim.arrivals import Profile
from sim.chart import of_ledger, of_platform
from sim.clock import PlatformClock
from sim.compare import differences, report
from sim.gateway import Gateway
from sim.ledger import millis
from sim.simulation import Options, simulate

SHORT_DAY = Profile(
    applicants=36,
    appointment=0.25,
    appointment_no_show=0.25,
    walk_away=0.15,
    refuse=0.08,
    supplement=0.15,
    late=0.3,
    complain=0.15,
    refuse_decision=0.1,
    mix={"immediate_item": 3, "promised_item": 3, "fee_item": 2, "joint_registration": 1},
)


def test_a_simulated_day_through_the_api_matches_the_platforms_figures_exactly(platform):
    gateway = Gateway(platform.gateway_url, {None: "demo"})
    clock = PlatformClock(gateway)
    outcome = simulate(gateway, clock, Options(seed=20261210, profile=SHORT_DAY), progress=print)  # shown with -s

    assert differences(outcome.figures) == [], report(outcome.figures, only_problems=True)
    ledger = outcome.ledger
    assert ledger.accountability() and ledger.payments and ledger.complaints
    assert any(t.outcome == "no_show" for t in ledger.tickets.values())
    assert any(c.refused_at_intake for c in ledger.cases.values())
    assert any(c.supplements_received for c in ledger.cases.values())
    assert any(c.extension_days for c in ledger.cases.values())  # urged at yellow, extended
    assert any(f.name.startswith("warnings ") and f.expected for f in outcome.figures)
    assert {
        "cases hall decided",
        "cases hall supplement_requests",
        "queue[A] mean_wait_minutes",
        "queue[A] p90_wait_minutes",
        "accountability records",
    } <= {f.name for f in outcome.figures}

    # The chart of the day as the platform recorded it is the chart of the simulator's tickets
    # (stamps in whole milliseconds, as stored: the kiosk's answer shows the issue time to the µs).
    def stamps(tickets):
        return {(t.category, millis(t.issued_at), t.called_at and millis(t.called_at)) for t in tickets}

    assert stamps(of_platform(gateway, outcome.day.isoformat())) == stamps(of_ledger(ledger))
    assert gateway.get("/api/v1/admin/clock", as_user="admin")["offset_ms"] == clock.original_offset  # set back
