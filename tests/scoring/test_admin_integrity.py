"""The admin cannot bypass the services: no edit of counted data, every access change audited."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from scoring.models import AnswerTally, Assessment, AuditEvent, Node, Role, StaffRole
from surveys.models import Question, Submission


def tally_rows():
    return sorted(AnswerTally.objects.values_list("province__code", "question__code", "value",
                                                  "count"))


@pytest.fixture
def root(review):
    return review["superuser"]


def test_the_admin_cannot_exclude_or_edit_a_counted_submission(review, root, client):
    client.force_login(root)
    s1 = Submission.objects.get(key="s1")
    before = tally_rows()
    change = reverse("admin:surveys_submission_change", args=[s1.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="excluded"' not in page.content.decode()
    posted = client.post(change, {"excluded": "on", "counted_at": "", "receipt": "X",
                                  "duration_seconds": "1"})
    assert posted.status_code == 403
    s1.refresh_from_db()
    assert (s1.excluded, s1.counted_at is not None, s1.duration_seconds) == (False, True, None)
    assert tally_rows() == before
    assert client.post(reverse("admin:surveys_submission_delete", args=[s1.pk]),
                       {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:surveys_submission_add")).status_code == 403
    # the review page's restore therefore never counts an answer twice
    client.post(reverse("scoring:exclusion", args=[s1.pk]), {"action": "restore"})
    assert tally_rows() == before


@pytest.mark.parametrize("url", ["admin:surveys_question_change", "admin:scoring_node_change",
                                 "admin:scoring_assessment_change"])
def test_definitions_and_scores_are_not_edited_in_the_admin(review, root, client, url):
    client.force_login(root)
    model = {"admin:surveys_question_change": Question, "admin:scoring_node_change": Node,
             "admin:scoring_assessment_change": Assessment}[url]
    obj = model.objects.order_by("pk").first()
    assert client.get(reverse(url, args=[obj.pk])).status_code == 200  # shown, read-only
    assert client.post(reverse(url, args=[obj.pk]), {}).status_code == 403


def test_granting_superuser_or_staff_in_the_admin_is_audited(review, root, client):
    client.force_login(root)
    plain = review["no_role"]
    response = client.post(reverse("admin:auth_user_change", args=[plain.pk]), {
        "username": "plain", "is_active": "on", "is_staff": "on", "is_superuser": "on",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00", "initial-date_joined_0": "2024-01-01",
        "initial-date_joined_1": "00:00:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    plain.refresh_from_db()
    assert plain.is_superuser and plain.is_staff
    event = AuditEvent.objects.get(action="account_changed")
    assert (event.user, event.detail) == (root, {
        "account": "plain", "created": False,
        "changes": {"is_staff": [False, True], "is_superuser": [False, True]}})


def test_changing_a_password_in_the_admin_is_audited(review, root, client):
    client.force_login(root)
    plain = review["no_role"]
    response = client.post(reverse("admin:auth_user_password_change", args=[plain.pk]), {
        "password1": "a-brand-new-password-2024", "password2": "a-brand-new-password-2024"})
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="account_changed").detail == {
        "account": "plain", "created": False, "changes": {"password": "changed"}}


def test_deleting_roles_with_the_bulk_action_is_audited(review, root, client):
    client.force_login(root)
    roles = StaffRole.objects.filter(role=Role.PROVINCE_OFFICER).order_by("user__username")
    response = client.post(reverse("admin:scoring_staffrole_changelist"), {
        "action": "delete_selected", "_selected_action": [r.pk for r in roles], "post": "yes"})
    assert response.status_code == 302
    assert not StaffRole.objects.filter(role=Role.PROVINCE_OFFICER).exists()
    events = sorted(e.detail["staff"] for e in AuditEvent.objects.filter(action="role_changed"))
    assert events == ["officer01", "officer74"]
    assert AuditEvent.objects.filter(action="role_changed").first().detail["role"] is None


def test_changing_a_role_in_the_admin_records_before_and_after(review, root, client):
    client.force_login(root)
    role = StaffRole.objects.get(user__username="officer74")
    response = client.post(reverse("admin:scoring_staffrole_change", args=[role.pk]),
                           {"role": "reviewer", "province": ""})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="role_changed")
    assert event.detail == {"staff": "officer74", "role": "reviewer", "province": None,
                            "previous_role": "province_officer", "previous_province": "74"}


def test_deleting_an_account_in_the_admin_is_audited(review, root, client):
    client.force_login(root)
    officer = review["officer01"]
    response = client.post(reverse("admin:auth_user_delete", args=[officer.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(username="officer01").exists()
    assert AuditEvent.objects.get(action="account_changed").detail == {
        "account": "officer01", "deleted": True, "role": "province_officer"}


def test_a_publication_is_not_withdrawn_or_edited_in_the_admin(review, root, client):
    from scoring.models import Index, Publication
    from scoring.services.publishing import publish_index

    publication = publish_index(index=Index.objects.get(code="mini-par"), user=root, note="v1")
    client.force_login(root)
    change = reverse("admin:scoring_publication_change", args=[publication.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"withdraw_reason": "x", "withdrawn_at_0": "2026-01-01",
                                "withdrawn_at_1": "00:00:00"}).status_code == 403
    publication.refresh_from_db()
    assert publication.withdrawn_at is None and not AuditEvent.objects.filter(
        action="withdrawn").exists()
    assert Publication.objects.count() == 1
