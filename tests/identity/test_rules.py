"""统一社会信用代码 (GB 32100-2015) and 公民身份号码 (GB 11643-1999) validation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.common.errors import InvalidInput
from ggzy.identity.rules import make_id_number, make_uscc, validate_id_number, validate_uscc

USCC_EXAMPLE = "91350100M000100Y43"  # published example of GB 32100-2015
ID_EXAMPLE = "11010519491231002X"  # published example of GB 11643-1999
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
TODAY = date(2026, 11, 30)


def _refusal(fn, value: str, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as info:
        fn(value, **kw)
    return info.value.message


# --- 统一社会信用代码 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", [USCC_EXAMPLE, USCC_EXAMPLE.lower(), f"  {USCC_EXAMPLE}\n", f"\t{USCC_EXAMPLE.lower()} "]
)
def test_uscc_published_example_accepted_and_normalised(raw: str) -> None:
    assert validate_uscc(raw) == USCC_EXAMPLE


def test_uscc_refusal_carries_stable_code() -> None:
    with pytest.raises(InvalidInput) as info:
        validate_uscc(USCC_EXAMPLE[:-1] + "0")
    assert info.value.code == "invalid_credit_code"
    assert info.value.status == 422


@pytest.mark.parametrize("value", ["", USCC_EXAMPLE[:-1], USCC_EXAMPLE + "0", "9135"])
def test_uscc_wrong_length_refused_with_actual_length(value: str) -> None:
    msg = _refusal(validate_uscc, value)
    assert "18 位" in msg
    assert f"当前为 {len(value)} 位" in msg


def test_uscc_none_is_refused_not_crashing() -> None:
    assert "当前为 0 位" in _refusal(validate_uscc, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_uscc_forbidden_letters_refused_and_named(letter: str) -> None:
    value = USCC_EXAMPLE[:9] + letter + USCC_EXAMPLE[10:]
    msg = _refusal(validate_uscc, value)
    assert "不允许的字符" in msg
    assert f"：{letter}" in msg


@pytest.mark.parametrize("pair", ["94", "Y2", "D9", "0A", "H1", "E2"])
def test_uscc_bad_authority_category_pair_refused(pair: str) -> None:
    # a correct check character, so only the pair can be what is wrong
    value = make_uscc(pair + USCC_EXAMPLE[2:17])
    msg = _refusal(validate_uscc, value)
    assert pair in msg
    assert "第 1、2 位" in msg


@pytest.mark.parametrize("pair", ["11", "12", "13", "19", "51", "91", "92", "93", "Y1", "N9", "31", "38"])
def test_uscc_valid_authority_category_pairs_accepted(pair: str) -> None:
    value = make_uscc(pair + USCC_EXAMPLE[2:17])
    assert validate_uscc(value) == value


def test_uscc_region_part_must_be_digits() -> None:
    value = make_uscc("91" + "3501A0" + USCC_EXAMPLE[8:17])
    msg = _refusal(validate_uscc, value)
    assert "第 3 至 8 位" in msg
    assert "行政区划" in msg


def test_uscc_wrong_check_character_names_expected_and_actual() -> None:
    msg = _refusal(validate_uscc, USCC_EXAMPLE[:-1] + "4")
    assert "校验码错误" in msg
    assert "应为 3" in msg
    assert "实际为 4" in msg


# Weights are 3^i mod 31, all non-zero modulo the prime 31, and two distinct alphabet values differ
# by 1..30, so a single substitution always changes the weighted sum mod 31: detection is
# guaranteed, not probabilistic. Changing position 1 or 2 may also break the authority/category
# pair, which is refused too; either way the code must not validate.
uscc_bodies = st.tuples(
    st.sampled_from(["91", "92", "93", "11", "12", "52", "Y1", "N3"]),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(body=uscc_bodies)
def test_uscc_made_from_any_valid_body_validates(body: str) -> None:
    code = make_uscc(body)
    assert len(code) == 18
    assert validate_uscc(code) == code
    assert validate_uscc(code.lower()) == code


@given(body=uscc_bodies, pos=st.integers(0, 17), replacement=st.sampled_from(ALPHABET))
def test_uscc_any_single_substitution_is_refused(body: str, pos: int, replacement: str) -> None:
    code = make_uscc(body)
    if code[pos] == replacement:
        replacement = ALPHABET[(ALPHABET.index(replacement) + 1) % len(ALPHABET)]
    changed = code[:pos] + replacement + code[pos + 1 :]
    with pytest.raises(InvalidInput):
        validate_uscc(changed)


# --- 公民身份号码 -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [ID_EXAMPLE, ID_EXAMPLE.lower(), f" {ID_EXAMPLE.lower()}\n"])
def test_id_published_example_accepted_and_normalised(raw: str) -> None:
    assert validate_id_number(raw, today=TODAY) == ID_EXAMPLE


def test_id_wrong_length_refused() -> None:
    msg = _refusal(validate_id_number, ID_EXAMPLE[:15], today=TODAY)
    assert "18 位" in msg and "当前为 15 位" in msg


@pytest.mark.parametrize("pos", [0, 6, 14, 16])
def test_id_letter_in_first_17_refused(pos: int) -> None:
    value = ID_EXAMPLE[:pos] + "X" + ID_EXAMPLE[pos + 1 :]
    msg = _refusal(validate_id_number, value, today=TODAY)
    assert "前 17 位应为数字" in msg


def test_id_last_character_must_be_digit_or_x() -> None:
    msg = _refusal(validate_id_number, ID_EXAMPLE[:17] + "A", today=TODAY)
    assert "第 18 位为数字或 X" in msg


def test_id_nonexistent_birth_date_refused_naming_it() -> None:
    value = make_id_number("110105" + "20230230" + "002")
    msg = _refusal(validate_id_number, value, today=TODAY)
    assert "20230230" in msg
    assert "不存在" in msg


def test_id_future_birth_date_refused() -> None:
    tomorrow = TODAY + timedelta(days=1)
    value = make_id_number(f"110105{tomorrow:%Y%m%d}002")
    msg = _refusal(validate_id_number, value, today=TODAY)
    assert f"{tomorrow:%Y%m%d}" in msg and "合理范围" in msg
    # the same person born today is fine
    born_today = make_id_number(f"110105{TODAY:%Y%m%d}002")
    assert validate_id_number(born_today, today=TODAY) == born_today


def test_id_birth_before_1900_refused() -> None:
    value = make_id_number("110105" + "18991231" + "002")
    assert "合理范围" in _refusal(validate_id_number, value, today=TODAY)


def test_id_wrong_check_digit_names_expected() -> None:
    msg = _refusal(validate_id_number, ID_EXAMPLE[:17] + "3", today=TODAY)
    assert "校验码错误" in msg
    assert "应为 X" in msg and "实际为 3" in msg


def test_id_refusal_carries_stable_code() -> None:
    with pytest.raises(InvalidInput) as info:
        validate_id_number(ID_EXAMPLE[:17] + "3", today=TODAY)
    assert info.value.code == "invalid_id_number"


id_bodies = st.builds(
    lambda region, born, seq: f"{region}{born:%Y%m%d}{seq:03d}",
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(0, 999),
)


@given(body=id_bodies)
def test_id_made_from_any_valid_body_validates(body: str) -> None:
    number = make_id_number(body)
    assert validate_id_number(number, today=TODAY) == number


# MOD 11-2: weights 2^(17-i) mod 11 are all non-zero mod the prime 11, and two digits differ by 1..9
# (or, at the check position, two distinct symbols of "10X98765432"), so every single substitution
# changes the sum mod 11. A substitution inside the birth date may also produce an impossible or
# future date; that is refused as well, so the assertion is simply "refused".
@given(body=id_bodies, pos=st.integers(0, 17), data=st.data())
def test_id_any_single_substitution_is_refused(body: str, pos: int, data: st.DataObject) -> None:
    number = make_id_number(body)
    symbols = "0123456789X" if pos == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in symbols if c != number[pos]]))
    changed = number[:pos] + replacement + number[pos + 1 :]
    with pytest.raises(InvalidInput):
        validate_id_number(changed, today=TODAY)


# --- only ASCII digits are digits -------------------------------------------------------------


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in s)


def test_id_fullwidth_digits_are_not_accepted_as_a_different_number() -> None:
    # "１１０１０５…" (full-width) must either be refused or normalised to the ASCII number; it must
    # never be stored as a second, different spelling of the same person's number.
    try:
        result = validate_id_number(_fullwidth(ID_EXAMPLE), today=TODAY)
    except InvalidInput:
        return
    assert result == ID_EXAMPLE


def test_id_non_decimal_digit_character_is_refused_not_a_crash() -> None:
    # "²".isdigit() is True but int("²") raises: the validator must answer with InvalidInput
    # (a 422 naming the problem), not an unhandled ValueError (a 500).
    with pytest.raises(InvalidInput):
        validate_id_number("11010²19491231002X", today=TODAY)


DIGIT_SCRIPTS = [0xFF10, 0x0660, 0x0966, 0x1D7CE]  # full-width, Arabic-Indic, Devanagari, math bold


def _respell(value: str, positions: set[int], zero: int) -> str:
    return "".join(chr(zero + int(c)) if i in positions and c.isdigit() else c for i, c in enumerate(value))


@given(body=id_bodies, zero=st.sampled_from(DIGIT_SCRIPTS), positions=st.sets(st.integers(0, 17), min_size=1))
def test_id_other_script_digits_are_refused_or_normalised(body: str, zero: int, positions: set[int]) -> None:
    number = make_id_number(body)
    respelled = _respell(number, positions, zero)
    if respelled == number:
        return
    try:
        result = validate_id_number(respelled, today=TODAY)
    except InvalidInput:
        return
    assert result == number


@given(body=uscc_bodies, zero=st.sampled_from(DIGIT_SCRIPTS), positions=st.sets(st.integers(0, 17), min_size=1))
def test_uscc_other_script_digits_are_refused_or_normalised(body: str, zero: int, positions: set[int]) -> None:
    code = make_uscc(body)
    respelled = _respell(code, positions, zero)
    if respelled == code:
        return
    try:
        result = validate_uscc(respelled)
    except InvalidInput:
        return
    assert result == code
