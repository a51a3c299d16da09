"""Secret codes compare as UTF-8 bytes: whatever a caller types is an answer, never a crash."""

import pytest

from services.common import constant_time


@pytest.mark.parametrize("given", ["中", "K7Q2M9P中", "k7q2m9pa", "", None, 12345678])
def test_anything_but_the_code_itself_is_not_equal(given):
    assert constant_time.equal(given, "K7Q2M9PA") is False


def test_the_code_itself_is_equal_even_in_chinese():
    assert constant_time.equal("K7Q2M9PA", "K7Q2M9PA") and constant_time.equal("中文码", "中文码")
