"""The Vietnamese sort order of place names (surveys.collation); pure, no database."""

import pytest

from surveys.collation import bare_name, collation_key


def ordered(*names: str) -> list[str]:
    return sorted(names, key=collation_key)


def test_letters_follow_the_vietnamese_alphabet():
    assert ordered("Âu", "Bà", "Ăn", "Anh") == ["Anh", "Ăn", "Âu", "Bà"]
    assert ordered("Đà Nẵng", "Duy", "Điện Biên", "Dak Nông") == [
        "Dak Nông", "Duy", "Đà Nẵng", "Điện Biên"]
    assert ordered("Ưng", "Ơn", "Ông", "Uy", "On") == ["On", "Ông", "Ơn", "Uy", "Ưng"]
    assert ordered("Cần Thơ", "Cao Bằng", "Cà Mau") == ["Cà Mau", "Cao Bằng", "Cần Thơ"]


def test_tones_only_break_ties_in_dictionary_order():
    assert ordered("má", "mạ", "mà", "ma", "mã", "mả") == ["ma", "mà", "mả", "mã", "má", "mạ"]
    # the letters decide first: "Hà Tĩnh" after "Ha Long", before "Hai"
    assert ordered("Hai", "Hà Tĩnh", "Ha Long") == ["Ha Long", "Hà Tĩnh", "Hai"]


def test_a_shorter_word_comes_first():
    assert ordered("Hải Phòng", "Hà Nội", "Hà Nam") == ["Hà Nam", "Hà Nội", "Hải Phòng"]
    assert ordered("Bình Thuận", "Bình Định", "Bình Dương") == [
        "Bình Dương", "Bình Định", "Bình Thuận"]


def test_case_and_unicode_form_do_not_count():
    assert collation_key("HÀ NỘI") == collation_key("hà nội") == collation_key("Hà Nội")
    decomposed = "Ha\u0300 No\u0302\u0323i"
    assert collation_key(decomposed) == collation_key("Hà Nội")


@pytest.mark.parametrize(("name", "bare"), [
    ("Tỉnh Bắc Ninh", "Bắc Ninh"),
    ("Thành phố Cần Thơ", "Cần Thơ"),
    ("thành phố  Huế", "Huế"),
    ("Ho Chi Minh City", "Ho Chi Minh"),
    ("Hue City", "Hue"),
    ("Province 01", "01"),
    ("Thua Thien Hue (Hue City)", "Thua Thien Hue (Hue City)"),
    ("Tỉnh", "Tỉnh"),
])
def test_the_word_for_the_kind_of_unit_is_left_out(name, bare):
    assert bare_name(name) == bare


def test_provinces_sort_by_their_name_without_tinh_or_thanh_pho():
    assert ordered("Thành phố Hồ Chí Minh", "Tỉnh An Giang", "Thành phố Cần Thơ",
                   "Tỉnh Cà Mau", "Tỉnh Hà Tĩnh") == [
        "Tỉnh An Giang", "Tỉnh Cà Mau", "Thành phố Cần Thơ", "Tỉnh Hà Tĩnh",
        "Thành phố Hồ Chí Minh"]
    assert ordered("Ho Chi Minh City", "Hue City", "Hung Yen", "Ha Noi (Hanoi)") == [
        "Ha Noi (Hanoi)", "Ho Chi Minh City", "Hue City", "Hung Yen"]


def test_spaces_before_digits_before_letters_and_punctuation_is_left_out():
    assert ordered("Ba9", "Ba Ria", "Bac", "Ba1") == ["Ba Ria", "Ba1", "Ba9", "Bac"]
    assert collation_key("Bà Rịa – Vũng Tàu") == collation_key("Bà Rịa Vũng Tàu")
