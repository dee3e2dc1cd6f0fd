"""Template context for every page: the signed-in user's staff role, for the navigation bar."""

from scoring.permissions import role_of


def staff(request) -> dict:
    user = getattr(request, "user", None)
    return {"staff_role": role_of(user) if user is not None else None}
