"""Interface tests: real nameko containers on the real broker and store."""
import pymongo
import pytest

from services.common import SERVICES
from services.common.db import database_name


@pytest.fixture
def clean_databases(service_config):
    """Each test starts with empty service databases (connections stay registered)."""
    client = pymongo.MongoClient(service_config["MONGO_URI"])
    for service in SERVICES:
        client.drop_database(database_name(service_config, service))
    client.close()
    yield
