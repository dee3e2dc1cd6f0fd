"""Vietnamese sort order of place names, for every list of provinces. Pure: no Django import.

Letters sort by the Vietnamese alphabet (a ă â b c d đ e ê g h i k l m n o ô ơ p q r
s t u ư v x y; f j w z, which Vietnamese words do not use, where the Latin alphabet
puts them); the tone marks only break ties between names with the same letters, in
dictionary order (none, huyền, hỏi, ngã, sắc, nặng). Case does not count. A name
is sorted without the word for its kind: "Tỉnh Bắc Ninh" with the B's, "Thành phố Cần
Thơ" with the C's, "Ho Chi Minh City" as "Ho Chi Minh".
"""

from __future__ import annotations

import unicodedata

ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"

# A base letter and the mark that makes it another letter of the alphabet.
_LETTER_MARKS = {
    ("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê", ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư",
}
# huyền, hỏi, ngã, sắc, nặng; no mark (ngang) is 0
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

# Words for the kind of unit, in lower case, left out of the key: prefixes, then suffixes.
_KIND_PREFIXES = ("thành phố ", "tỉnh ", "province of ", "city of ", "province ", "city ")
_KIND_SUFFIXES = (" province", " city")

_SPACE, _DIGITS, _LETTERS, _OTHER = 0, 1, 20, 100

Key = tuple[tuple[int, ...], tuple[int, ...]]


def bare_name(name: str) -> str:
    """The name without "Tỉnh"/"Thành phố" before it or "Province"/"City" around it."""
    text = " ".join(unicodedata.normalize("NFC", name).split())
    lowered = text.casefold()
    for prefix in _KIND_PREFIXES:
        if lowered.startswith(prefix) and len(text) > len(prefix):
            text, lowered = text[len(prefix):], lowered[len(prefix):]
            break
    for suffix in _KIND_SUFFIXES:
        if lowered.endswith(suffix) and len(text) > len(suffix):
            text = text[:-len(suffix)]
            break
    return text


def collation_key(name: str) -> Key:
    """Sort key of a place name: (letters in Vietnamese order, tones); see the module.

    Spaces sort before digits, digits before letters; other punctuation is left out.
    """
    primary: list[int] = []
    tones: list[int] = []
    letter, tone = "", 0

    def close() -> None:
        if letter:
            rank = ALPHABET.find(letter)
            primary.append(_LETTERS + rank if rank >= 0 else _OTHER + ord(letter))
            tones.append(tone)

    for char in unicodedata.normalize("NFD", bare_name(name).casefold()):
        if unicodedata.combining(char):
            if (letter, char) in _LETTER_MARKS:
                letter = _LETTER_MARKS[letter, char]
            elif char in _TONES:
                tone = _TONES[char]
            continue  # other marks: the base letter alone
        close()
        letter, tone = "", 0
        if char.isspace():
            if primary and primary[-1] != _SPACE:
                primary.append(_SPACE)
        elif char.isdigit():
            primary.append(_DIGITS + unicodedata.digit(char, 0))
        elif char.isalpha():
            letter = char
    close()
    return tuple(primary), tuple(tones)
