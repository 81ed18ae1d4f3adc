"""Who may call a view: every route declares it, and a test holds every route to it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, request, url_for
from flask_login import current_user

from app.auth.models import Role

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
ANY_ROLE = tuple(Role)


def public(view: F) -> F:
    """Mark a view as open to everyone, logged in or not."""
    view.access = PUBLIC  # type: ignore[attr-defined]
    return view


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Require a logged-in user holding one of roles (all roles when none are given)."""
    allowed = roles or ANY_ROLE

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if request.path.startswith("/api/") or request.headers.get("Upgrade"):
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not current_user.has_role(*allowed):
                abort(403)
            return view(*args, **kwargs)

        guarded.access = tuple(r.value for r in allowed)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


login_required = roles_required()
