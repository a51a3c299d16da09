"""Interface tests: real nameko containers on the real broker and store."""

import inspect

import mongoengine
import pymongo
import pytest
from kombu import Connection
from kombu.exceptions import ChannelError
from nameko.events import EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.common import SERVICES
from services.common.contracts.events import Event
from services.common.db import database_name
from services.common.retired_queues import event_queue


@pytest.fixture
def clean_databases(service_config):
    """Each test starts with empty service databases (connections stay registered), whose
    indexes are created again on first use, as on a new deployment: mongoengine creates a
    document class's indexes once per process, when it first reaches its collection."""
    client = pymongo.MongoClient(service_config["MONGO_URI"])
    for service in SERVICES:
        client.drop_database(database_name(service_config, service))
    client.close()
    for document_class in _subclasses(mongoengine.Document):
        document_class._collection = None
    yield


def _subclasses(cls):
    """Every document class (mongoengine's own registry keeps one class per name, and two
    services may use the same name)."""
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def event_queues(service_cls):
    """The durable queues nameko declares for the event handlers of ``service_cls``."""
    for name, method in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, EventHandler):
                event = Event(entrypoint.source_service, entrypoint.event_type, payload=None)  # named, not parsed
                yield event_queue(event, service_cls.name, name)


@pytest.fixture
def start_listener(container_factory, service_config):
    """Start a test service that records events, its queues emptied first: they are
    durable and keep the events earlier tests dispatched."""

    def start(service_cls):
        with Connection(service_config["AMQP_URI"]) as connection:
            for queue in event_queues(service_cls):
                try:
                    connection.channel().queue_purge(queue)
                except ChannelError:
                    pass  # not declared yet: nothing to empty
        container = container_factory(service_cls, service_config)
        container.start()
        return container

    return start
