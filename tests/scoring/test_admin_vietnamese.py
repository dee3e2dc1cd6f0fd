"""The admin site in Vietnamese: no English interface text, no codes for names."""

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from scoring.models import Index, Role
from scoring.services.publishing import publish_index
from scoring.services.roles import set_staff_role
from surveys.intake import generate_codes, issue_invitations
from surveys.models import Province, Questionnaire
from tests.vietnamese import english_or_codes, english_phrases


@pytest.fixture
def every_model(review):
    """At least one row of every model the admin shows."""
    root = review["superuser"]
    questionnaire = Questionnaire.objects.get(code="mini-citizens")
    province = Province.objects.get(province_set=questionnaire.province_set, code="74")
    issue_invitations(questionnaire=questionnaire, province=province, count=1)
    generate_codes(questionnaire=questionnaire, province=province, count=1)
    publish_index(index=Index.objects.get(code="mini-par"), user=root, note="first")
    Group.objects.create(name="analysts")
    set_staff_role(account=review["no_role"], role=Role.REVIEWER, province=None, by=root)
    # A user name is data, not interface text: this one would read as the English "Administrator".
    get_user_model().objects.filter(username="administrator").update(username="quantri")
    return root


def admin_pages():
    """The index, then each registered model's list and the change page of its first row."""
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append(reverse(f"{prefix}_changelist"))
        first = model._default_manager.order_by("pk").first()
        assert first is not None, f"no {model.__name__} to show"
        pages.append(reverse(f"{prefix}_change", args=[first.pk]))
    return pages


def test_the_english_list_holds_the_products_own_texts():
    phrases = set(english_phrases())
    assert {"provinces", "Audit log", "Score changed", "Ministry reviewer"} <= phrases
    assert "SIPAS" not in phrases  # the same in both languages
    assert "Please enter a number." not in phrases  # a sentence, not a word or phrase


def test_the_check_finds_english_and_codes_but_not_marked_data():
    html = ("<html><head><title>Nhật ký</title><script>var provinces = 1;</script></head>"
            "<body><p title='provinces'>Provinces: 3</p><p lang='en'>Audit log</p>"
            "<pre translate='no'>{\"province\": \"74\"}</pre>"
            "<table><thead><tr><th>dept-leaders</th><th>Tỉnh</th></tr></thead>"
            "<tbody><tr><th>mini-par</th></tr></tbody></table>"
            "<label>first_level</label><label>config.settings</label><label>Mức 1.1.1</label>"
            "</body></html>")
    assert english_or_codes(html) == [
        "English: 'Provinces' in …Nhật ký Provinces: 3 dept-leaders Tỉnh mini-par first_lev…",
        "code: 'dept-leaders' in 'dept-leaders'",
        "code: 'first_level' in 'first_level'",
        "code: 'config.settings' in 'config.settings'",
    ]


def test_every_admin_page_is_in_vietnamese(every_model, client):
    # A user's page shows the start of the password's salt and hash: random letters would
    # now and then spell an English word ("no"); a fixed salt gives the same page every run.
    get_user_model().objects.update(password=make_password("mật khẩu", salt="0123456789012345"))
    client.force_login(get_user_model().objects.get(pk=every_model.pk))
    found = {}
    for url in admin_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        problems = english_or_codes(response.content.decode())
        if problems:
            found[url] = problems
    assert found == {}


@pytest.mark.parametrize("app", ["surveys", "scoring"])
def test_every_model_and_field_has_a_vietnamese_name(app):
    untranslated = []
    for model in apps.get_app_config(app).get_models():
        names = {"": (model._meta.verbose_name, model._meta.verbose_name_plural)}
        names.update({f.name: (f.verbose_name,) for f in model._meta.get_fields()
                      if hasattr(f, "verbose_name") and not f.auto_created})
        for field, texts in names.items():
            for text in texts:
                with translation.override("en"):
                    english = str(text)
                with translation.override("vi"):
                    vietnamese = str(text)
                if english == vietnamese:
                    untranslated.append(f"{model.__name__}.{field}: {english}")
    assert untranslated == []


@pytest.mark.parametrize(("field", "value", "message"), [
    (forms.IntegerField(), "1,5", "Nhập một số nguyên."),
    (forms.IntegerField(max_value=10), "11", "Giá trị phải nhỏ hơn hoặc bằng 10."),
    (forms.IntegerField(min_value=1), "0", "Giá trị phải lớn hơn hoặc bằng 1."),
    (forms.DecimalField(max_digits=4, decimal_places=2), "1.234",
     "Số không được có quá 2 chữ số thập phân."),
    (forms.DecimalField(max_digits=4, decimal_places=2), "123.4",
     "Số không được có quá 2 chữ số ở phần nguyên."),
    (forms.CharField(max_length=3), "abcd", "Giá trị chỉ được có tối đa 3 ký tự (hiện có 4)."),
    (forms.ChoiceField(choices=[("a", "A")]), "b",
     "Hãy chọn một giá trị hợp lệ. b không có trong danh sách được chọn."),
    (forms.DateTimeField(), "x", "Nhập ngày giờ hợp lệ."),
    (forms.TimeField(), "x", "Nhập giờ hợp lệ."),
    (forms.JSONField(), "{", "Nhập dữ liệu JSON hợp lệ."),
])
def test_djangos_own_messages_read_as_vietnamese(field, value, message):
    with translation.override("vi"), pytest.raises(ValidationError) as refused:
        field.clean(value)
    assert refused.value.messages == [message]


def test_the_distribution_form_speaks_vietnamese(every_model, client):
    client.force_login(every_model)
    questionnaire = Questionnaire.objects.get(code="mini-citizens")
    url = reverse("admin:surveys_questionnaire_distribute", args=[questionnaire.pk])
    page = client.get(url).content.decode()
    assert english_or_codes(page) == []
    assert "<h1>Tạo mã dùng một lần: Khảo sát thử</h1>" in page
    refused = client.post(url, {"count": "1.5"}).content.decode()
    assert "Nhập một số nguyên." in refused and english_or_codes(refused) == []
    province = Province.objects.get(province_set=questionnaire.province_set, code="74")
    issued = client.post(url, {"count": "2", "provinces": [province.pk]})
    assert issued.status_code == 200 and issued["Content-Type"] == "text/csv; charset=utf-8"
    follow = client.get(reverse("admin:surveys_questionnaire_changelist")).content.decode()
    assert "Đã tạo 2 mã dùng một lần." in follow
