"""The monitor's business metrics (Prometheus conventions: base units, ``_total``).

Counters count what this process did (sum them over replicas). Gauges of the store's
state (``hall_supervision_open_cases``, …) read the same in every replica: aggregate them
with ``max``, never ``sum``.
"""

from prometheus_client import Counter, Gauge

OPEN_CASES = Gauge("hall_supervision_open_cases", "Open (accepted, undecided) cases by warning level.", ["level"])
OVERDUE_CASES = Gauge("hall_supervision_overdue_cases", "Open cases past their deadline (red).")
WARNINGS_RAISED = Counter("hall_supervision_warnings_total", "Cases that turned yellow or red.", ["level"])
ACCOUNTABILITY_FILED = Counter(
    "hall_supervision_accountability_records_total", "Accountability records filed for overdue cases.", ["department"]
)
CASES_DECIDED = Counter("hall_supervision_cases_decided_total", "Decided cases, on time or not.", ["on_time"])
TIMER_LAG = Gauge(
    "hall_supervision_timer_lag_seconds",
    "How late the oldest due timer of the supervision scheduler is (0 when none waits).",
)
OPEN_COMPLAINTS = Gauge("hall_complaints_open", "Complaints not yet archived, by warning level.", ["level"])
EVALUATIONS = Counter("hall_evaluations_total", "Evaluations (好差评) received, by level.", ["level"])
