"""Queues of retired event handlers, on the real broker: a service deletes them when it
starts, whatever they still hold; a name that is not there is no error; the names are the
ones nameko gives its handlers' queues."""

from typing import TypedDict

import pytest
from kombu import Connection
from kombu.exceptions import ChannelError

from services.common.contracts import events
from services.common.contracts.events import Event
from services.common.entrypoints import event_handler
from services.common.retired_queues import RetiredQueues, event_queue
from services.intake.service import IntakeService
from services.monitor.service import MonitorService


class Nothing(TypedDict):
    pass


KEPT = Event("test_source", "kept", Nothing)
RETIRED = event_queue(Event("test_source", "gone", Nothing), "test_retiring", "on_gone")


class Retiring:
    name = "test_retiring"
    retired = RetiredQueues(RETIRED, "test-never-declared")

    @event_handler(KEPT)
    def on_kept(self, payload):
        pass


def queue_exists(config, name):
    with Connection(config["AMQP_URI"]) as connection:
        try:
            connection.channel().queue_declare(name, passive=True)
            return True
        except ChannelError:
            return False


def leave_a_queue_with_a_message(config, name):
    with Connection(config["AMQP_URI"]) as connection:
        channel = connection.channel()
        channel.queue_declare(name, durable=True, auto_delete=False)
        channel.basic_publish(channel.prepare_message(b"{}"), exchange="", routing_key=name)


def test_a_service_deletes_its_retired_queues_when_it_starts(container_factory, service_config):
    leave_a_queue_with_a_message(service_config, RETIRED)
    assert queue_exists(service_config, RETIRED)
    container_factory(Retiring, service_config).start()
    assert not queue_exists(service_config, RETIRED)
    # nameko named the kept handler's queue as event_queue does.
    assert queue_exists(service_config, event_queue(KEPT, "test_retiring", "on_kept"))


@pytest.mark.usefixtures("clean_databases")
def test_the_monitor_deletes_the_queue_of_its_former_queue_wait_handler(container_factory, service_config):
    former = "evt-queue-ticket_called--monitor.on_ticket_called"
    leave_a_queue_with_a_message(service_config, former)
    container_factory(MonitorService, service_config).start()
    assert not queue_exists(service_config, former)
    assert queue_exists(service_config, event_queue(events.CASE_SUBMITTED, "monitor", "on_case_submitted"))


@pytest.mark.usefixtures("clean_databases")
def test_intake_deletes_the_queue_of_its_former_every_step_handler(container_factory, service_config):
    former = "evt-approval-case_progressed--intake.on_case_progressed"
    leave_a_queue_with_a_message(service_config, former)
    container_factory(IntakeService, service_config).start()
    assert not queue_exists(service_config, former)
    assert queue_exists(service_config, event_queue(events.PROCESS_COMPLETED, "intake", "on_process_completed"))
