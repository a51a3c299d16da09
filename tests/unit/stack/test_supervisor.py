"""make up's supervisor: what exits is started again after a pause that doubles while it
keeps exiting, the broker and the store first, and every restart is said and counted."""

from stack.supervisor import Supervisor


class FakePlatform:
    def __init__(self):
        self.down = {}  # name -> exit code
        self.restarted = []
        self.refuse = set()

    def exited(self):
        return dict(self.down)

    def restart(self, name):
        self.restarted.append(name)
        if name in self.refuse:
            raise RuntimeError(f"{name} did not listen")
        self.down.pop(name)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def supervised():
    platform, clock, said = FakePlatform(), Clock(), []
    return platform, clock, said, Supervisor(platform, said.append, clock)


def restarts(supervisor, name):
    return supervisor.registry.get_sample_value("hall_stack_restarts_total", {"process": name}) or 0


def test_a_process_that_exits_is_started_again_after_a_pause_and_counted():
    platform, clock, said, supervisor = supervised()
    platform.down["approval"] = -9

    supervisor.check()
    assert platform.restarted == []
    assert said == ["approval stopped (killed by signal 9); starting it again in 1 s"]
    clock.now += 1
    supervisor.check()

    assert platform.restarted == ["approval"]
    assert said[-1] == "approval started again (restart 1)"
    assert restarts(supervisor, "approval") == 1


def test_the_pause_doubles_while_the_process_keeps_exiting_and_starts_afresh_once_it_ran():
    platform, clock, said, supervisor = supervised()
    pauses = []
    for _ in range(7):
        platform.down["queue"] = 1
        supervisor.check()
        pauses.append(supervisor.due["queue"] - clock.now)
        clock.now = supervisor.due["queue"]
        supervisor.check()
        clock.now += 5  # exits again soon after
    assert pauses == [1, 2, 4, 8, 16, 30, 30]

    clock.now += 60  # ran for a minute
    platform.down["queue"] = 1
    supervisor.check()
    assert supervisor.due["queue"] - clock.now == 1


def test_the_broker_and_the_store_come_back_before_the_services():
    platform, clock, said, supervisor = supervised()
    platform.down["monitor"] = -9
    supervisor.check()
    clock.now += 0.5
    platform.down.update(store=-9, broker=-9)
    supervisor.check()
    clock.now += 2

    supervisor.check()

    assert platform.restarted == ["broker", "store", "monitor"]


def test_a_restart_that_fails_is_tried_again_later_and_said_why():
    platform, clock, said, supervisor = supervised()
    platform.down["broker"] = -9
    platform.refuse.add("broker")
    supervisor.check()
    clock.now += 1
    supervisor.check()

    assert said[-1] == "broker did not start: broker did not listen; starting it again in 2 s"
    platform.refuse.clear()
    clock.now += 2
    supervisor.check()
    assert platform.restarted == ["broker", "broker"]
    assert said[-1] == "broker started again (restart 2)"
