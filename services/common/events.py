"""Event names, one place. Events are nameko events: durable, at-least-once, so every
handler is idempotent. The source service is the first element of each pair."""

CASE_SUBMITTED = ("intake", "case_submitted")
CASE_PROGRESSED = ("approval", "case_progressed")
