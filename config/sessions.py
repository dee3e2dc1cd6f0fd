"""Sessions in the database, as Django keeps them, written in one statement each."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.db import DatabaseError, IntegrityError, connections, router
from django.utils.crypto import get_random_string


class SessionStore(db.SessionStore):
    """Django's database sessions without the round trips that guard against rare cases.

    Django checks that a new key is free with a SELECT, then writes in a transaction of
    its own (BEGIN, the statement, COMMIT): four round trips for a new session, three
    for a changed one. Outside a transaction one INSERT or UPDATE is atomic by itself,
    and a key already taken fails the INSERT on the primary key, which `create` answers
    by drawing another key, as Django does when another request takes the key between
    its SELECT and its INSERT. A citizen's survey writes its session at every page:
    under the closed loop of bench/websurvey.py each round trip cost several ms.
    Inside a transaction (a test case, a caller's `atomic`) Django's own save runs, for
    its savepoint.
    """

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create: bool = False) -> None:
        using = router.db_for_write(self.model)
        if self.session_key is None or connections[using].in_atomic_block:
            return super().save(must_create)
        obj = self.create_model_instance(self._get_session(no_load=must_create))
        try:
            obj.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError as exc:
            if must_create:
                raise CreateError from exc
            raise
        except DatabaseError as exc:
            if not must_create:
                raise UpdateError from exc
            raise
