"""Day numbers on the real store: consecutive from 1, never issued twice under concurrency."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import mongoengine as me
import pytest

from services.common.db import collection_of, connect_service_db
from services.common.sequences import hall_day, next_in_sequence


class NumberCounter(me.Document):
    key = me.StringField(primary_key=True)
    last = me.IntField(default=0)

    meta = {"db_alias": "sequence_test", "collection": "counters"}


@pytest.fixture
def counters(service_config):
    connect_service_db(service_config, "sequence_test")
    NumberCounter.drop_collection()
    yield NumberCounter
    NumberCounter.drop_collection()


def test_a_new_day_starts_at_one_and_each_key_counts_alone(counters):
    day = hall_day(datetime(2026, 12, 3, 16, 30, tzinfo=timezone.utc))  # 00:30 on the 4th in Shanghai
    assert day == "20261204"
    assert [next_in_sequence(counters, f"A{day}") for _ in range(3)] == [1, 2, 3]
    assert next_in_sequence(counters, f"B{day}") == 1
    assert collection_of(counters).find_one({"_id": f"A{day}"})["last"] == 3


def test_concurrent_callers_get_every_number_once(counters):
    with ThreadPoolExecutor(max_workers=8) as pool:
        issued = list(pool.map(lambda _: next_in_sequence(counters, "busy"), range(200)))
    assert sorted(issued) == list(range(1, 201))
