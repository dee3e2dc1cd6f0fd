"""Database sessions written in one statement each (config/sessions.py)."""

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from config.sessions import SessionStore

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def sent(save) -> list[str]:
    """The first word of each statement `save` sent."""
    with CaptureQueriesContext(connection) as queries:
        save()
    return [q["sql"].split()[0].upper() for q in queries.captured_queries]


def test_the_product_keeps_its_sessions_this_way(settings):
    assert settings.SESSION_ENGINE == "config.sessions"


def test_a_new_session_is_one_insert_and_a_change_one_update():
    store = SessionStore()
    store["answers"] = {"U01": 1}
    assert sent(store.save) == ["INSERT"]
    store["answers"] = {"U01": 2}
    assert sent(store.save) == ["UPDATE"]
    assert SessionStore(store.session_key).load() == {"answers": {"U01": 2}}
    assert Session.objects.count() == 1


def test_a_key_already_taken_is_drawn_again(monkeypatch):
    taken = SessionStore()
    taken["who"] = "first"
    taken.save()
    keys = iter([taken.session_key, "k" * 32])
    monkeypatch.setattr("config.sessions.get_random_string", lambda *args: next(keys))
    store = SessionStore()
    store["who"] = "second"
    store.save()
    assert store.session_key == "k" * 32
    assert SessionStore(taken.session_key).load() == {"who": "first"}
    assert SessionStore("k" * 32).load() == {"who": "second"}


def test_a_session_deleted_meanwhile_is_not_written_again():
    store = SessionStore()
    store["seen"] = True
    store.save()
    Session.objects.all().delete()
    store["seen"] = False
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.exists()


def test_inside_a_transaction_a_session_is_written_with_a_savepoint():
    store = SessionStore()
    store["seen"] = True
    with transaction.atomic():
        assert sent(store.save) == ["SAVEPOINT", "INSERT", "RELEASE"]
    assert SessionStore(store.session_key).load() == {"seen": True}
