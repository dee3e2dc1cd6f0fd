"""The method page: the document in the reader's language, and the two documents kept aligned."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from scoring.models import Role
from tests.helpers import make_user

DOCS = settings.BASE_DIR / "docs"
HEADING = re.compile(r"^(#{2,3}) (.+)$", re.MULTILINE)


def headings(name: str) -> list[tuple[str, str]]:
    return HEADING.findall((DOCS / name).read_text(encoding="utf-8"))


def test_the_two_documents_have_the_same_headings_in_the_same_order():
    english, vietnamese = headings("uncertainty.md"), headings("uncertainty.vi.md")
    assert [level for level, _ in english] == [level for level, _ in vietnamese]
    assert len(english) == 12 and [level for level, _ in english].count("###") == 2
    # a section's code names are in its heading in both languages
    assert [re.findall(r"`[^`]+`", e) for _, e in english] == \
        [re.findall(r"`[^`]+`", v) for _, v in vietnamese]


def test_each_document_names_the_other_on_its_first_line():
    english = (DOCS / "uncertainty.md").read_text(encoding="utf-8").splitlines()[0]
    vietnamese = (DOCS / "uncertainty.vi.md").read_text(encoding="utf-8").splitlines()[0]
    assert english == "The Vietnamese version is docs/uncertainty.vi.md; change both together."
    assert vietnamese == ("Bản tiếng Anh là docs/uncertainty.md; khi sửa, hãy sửa cả hai bản "
                          "cùng lúc.")


@pytest.fixture
def reviewer(db):
    return make_user("reviewer", Role.REVIEWER)


def test_in_vietnamese_the_page_shows_the_vietnamese_document(client, reviewer):
    client.force_login(reviewer)
    page = client.get(reverse("scoring:uncertainty_method")).content.decode()
    assert '<article class="method-document" lang="vi" id="method">' in page
    assert "<h2>Thiết kế mẫu (bootstrap tái co giãn Rao–Wu)</h2>" in page
    assert ('<h2>Cách tính khoảng tin cậy (<code translate="no">compute_intervals</code>)'
            '</h2>') in page
    assert "The sampling design" not in page
    # what stays as written: code, and the works cited by their English titles
    assert '<pre><code translate="no">manage.py seed_demo --scale 0.05 --issues 0.03' in page
    assert '<ul lang="en">\n<li>Wilson, E. B. (1927). Probable inference' in page
    assert "Nội dung dưới đây bằng tiếng Anh" not in page
    assert re.search(r'<button [^>]*name="language" value="en">Đọc bằng tiếng Anh</button>', page)


def test_in_english_the_page_shows_the_english_document(client, reviewer):
    client.force_login(reviewer)
    url = reverse("scoring:uncertainty_method")
    # the switch on the page: the same page, now in English
    switched = client.post("/i18n/setlang/", {"language": "en", "next": url})
    assert (switched.status_code, switched.url) == (302, url)
    page = client.get(url).content.decode()
    assert '<article class="method-document" lang="en" id="method">' in page
    assert "<h2>The sampling design (Rao–Wu rescaled bootstrap)</h2>" in page
    assert "Thiết kế mẫu" not in page
    assert re.search(r'<button [^>]*name="language" value="vi">Read in Vietnamese</button>', page)
