"""``count_of`` answers what ``QuerySet.count()`` answers, on the real store."""

import mongoengine as me
import pytest
from mongoengine.queryset.visitor import Q

from services.common.db import connect_service_db, count_of


class Visit(me.Document):
    category = me.StringField()
    rank = me.IntField()

    meta = {"db_alias": "count_test", "collection": "visits"}


@pytest.fixture
def visits(service_config):
    connect_service_db(service_config, "count_test")
    Visit.drop_collection()
    Visit.objects.insert([Visit(category="ABC"[i % 3], rank=i % 4) for i in range(60)])
    yield Visit.objects
    Visit.drop_collection()


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"category": "A"},
        {"category": "Z"},
        {"category__in": ["A", "B"], "rank__gte": 2},
    ],
)
def test_it_counts_like_the_query_set(visits, query):
    assert count_of(visits(**query)) == len(list(visits(**query))) == visits(**query).count()


def test_it_counts_an_or_of_conditions_and_ignores_paging(visits):
    found = visits(category="B").filter(Q(rank__lt=1) | Q(rank=1))
    assert count_of(found) == 10
    assert count_of(found.skip(3).limit(2)) == 10
