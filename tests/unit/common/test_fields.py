"""Instants are stored as UTC epoch milliseconds and come back as aware datetimes."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import mongoengine as me
import pytest

from services.common.db import document_from
from services.common.fields import InstantField, from_millis, to_millis

NEW_YEAR_2024_UTC_MILLIS = 1_704_067_200_000


class InstantProbe(me.EmbeddedDocument):
    at = InstantField()


def test_aware_datetime_is_stored_as_epoch_millis():
    moment = datetime(2024, 1, 1, tzinfo=UTC)

    assert InstantProbe(at=moment).to_mongo().to_dict() == {"at": NEW_YEAR_2024_UTC_MILLIS}


def test_instant_in_another_zone_is_stored_as_the_same_utc_millis():
    shanghai_morning = datetime(2024, 1, 1, 8, tzinfo=ZoneInfo("Asia/Shanghai"))

    assert to_millis(shanghai_morning) == NEW_YEAR_2024_UTC_MILLIS


def test_stored_millis_come_back_as_the_same_aware_instant():
    moment = datetime(2025, 3, 14, 9, 26, 53, 589_000, tzinfo=ZoneInfo("Asia/Shanghai"))

    loaded = document_from(InstantProbe, InstantProbe(at=moment).to_mongo()).at

    assert loaded == moment
    assert loaded.utcoffset() == timedelta(0)


def test_microseconds_are_rounded_to_milliseconds():
    moment = datetime(2024, 1, 1, 0, 0, 0, 1_600, tzinfo=UTC)

    assert from_millis(to_millis(moment)) == moment.replace(microsecond=2_000)


def test_query_values_are_converted_like_stored_values():
    moment = datetime(2024, 1, 1, tzinfo=UTC)

    assert InstantField().prepare_query_value("lte", moment) == NEW_YEAR_2024_UTC_MILLIS


def test_naive_datetime_is_refused_when_stored():
    with pytest.raises(ValueError, match="timezone-aware"):
        to_millis(datetime(2024, 1, 1))


def test_naive_datetime_fails_validation():
    with pytest.raises(me.ValidationError):
        InstantProbe(at=datetime(2024, 1, 1)).validate()


def test_aware_datetime_passes_validation():
    InstantProbe(at=datetime(2024, 1, 1, tzinfo=UTC)).validate()
