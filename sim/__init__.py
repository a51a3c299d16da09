"""A day in the hall, simulated through the public HTTP API (`make simulate`).

Applicants arrive over the opening hours, take kiosk tickets or keep appointments, are
served at windows, and their cases travel through the departments, the bank window and
supervision over the following working days while the platform clock (demo mode) is moved
forward. The simulator keeps its own ledger of what it did and, at the end, compares it
figure by figure with what the platform reports. See docs/simulation.md."""
