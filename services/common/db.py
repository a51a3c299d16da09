"""Each service owns one MongoDB database, ``<MONGO_DB_PREFIX>_<service>``, reached
through mongoengine under the connection alias = the service name (so that several
services can share one test process without sharing a database)."""

from types import SimpleNamespace

import mongoengine
from nameko.extensions import DependencyProvider


def database_name(config, service_name):
    return f"{config['MONGO_DB_PREFIX']}_{service_name}"


# Production runs a MongoDB replica set: a write is acknowledged once a majority of
# members has it (it survives the loss of the primary), and a write interrupted by an
# election is retried once by the driver. The embedded store is a single server.
PRODUCTION_WRITE_SETTINGS = {"w": "majority", "journal": True, "retryWrites": True}

# How long an operation waits for a reachable store before it fails (pymongo's default is
# 30 s). Shorter than the gateway's RPC timeout (10 s), so that a call made while the store
# restarts or elects a primary fails as "store unreachable", which the gateway answers 503
# with Retry-After, instead of outliving the caller's wait (a timeout, after which the caller
# cannot know whether the call was carried out).
STORE_WAIT_MS = 5000


def connect_service_db(config, service_name):
    """Register (once) the mongoengine connection for ``service_name``."""
    production = PRODUCTION_WRITE_SETTINGS if config.get("APP_ENV") == "production" else {}
    return mongoengine.connect(
        db=database_name(config, service_name),
        host=config["MONGO_URI"],
        alias=service_name,
        tz_aware=True,
        uuidRepresentation="standard",
        serverSelectionTimeoutMS=STORE_WAIT_MS,
        **production,
    )


def count_of(queryset):
    """How many documents a mongoengine query set matches (its skip and limit ignored, as
    ``QuerySet.count()`` does), asked with MongoDB's ``count`` command.

    ``QuerySet.count()`` sends an aggregation (``$match`` + ``$group``) that the embedded
    store runs in Python: about 8 ms, and two warnings in its log, each time; the ``count``
    command answers the same in under 1 ms there. With a filter it is exact on MongoDB too."""
    collection = queryset._collection
    return collection.database.command("count", collection.name, query=queryset._query)["n"]


def objects_with_any(document_class, field, values):
    """The documents whose ``field`` is one of ``values``, one query per value. The embedded
    store answers ``$in`` on any field but ``_id`` by reading every document of the collection;
    an equality on a field with an index of its own it answers from that index."""
    return [document for value in values for document in document_class.objects(**{field: value})]


class ServiceStore(DependencyProvider):
    """Connects in ``setup()`` and injects one repository object shared by all workers.

    ``repository_factory`` is called once with the container's config; the object it
    returns must be thread-safe (mongoengine documents created per call are).
    """

    def __init__(self, repository_factory):
        self.repository_factory = repository_factory
        self.repository = None

    def setup(self):
        connect_service_db(self.container.config, self.container.service_name)
        self.repository = self.repository_factory(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.repository


def collection_of(model):
    """The pymongo collection behind a mongoengine model: the one door for hot paths that
    read and write plain documents without building ``Document`` objects."""
    return model._get_collection()


def document_from(model, son):
    """A mongoengine document of ``model`` built from a raw document the store returned."""
    return model._from_son(son)


def plain_from(model, son):
    """A raw document the store returned, read under the model's field names with their Python
    values (instants as datetimes, defaults for what it lacks) without building a ``Document``:
    for hot paths that only read it (building one costs more than the store command)."""
    return SimpleNamespace(
        **{
            name: field.to_python(son[field.db_field])
            if son.get(field.db_field) is not None
            else field.default()
            if callable(field.default)
            else field.default
            for name, field in model._fields.items()
        }
    )
