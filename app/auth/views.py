"""Log in and out, accept invitations, and the admin's user pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth import services, sso
from app.auth.access import login_required, public, roles_required
from app.auth.forms import (
    AcceptInvitationForm,
    ActiveForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    InviteForm,
    LoginForm,
    NewPasswordForm,
    RoleForm,
    TimeZoneForm,
)
from app.auth.models import Role, User
from app.config import Settings
from app.coordination.services import cohorts_visible_to
from app.extensions import db
from app.notifications import notify

bp = Blueprint("auth", __name__)


def _settings() -> Settings:
    settings: Settings = current_app.config["ACADEMY"]
    return settings


def _safe_next(target: str | None) -> str:
    """Only follow redirects within this site."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("learning.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response | tuple[str, int]:
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.home"))
    form = LoginForm()
    settings = _settings()
    page = {"form": form, "sso": sso.enabled(settings), "sso_name": settings.oidc_name}
    if form.validate_on_submit():
        policy = services.LoginPolicy(settings.login_max_failures, settings.login_lockout_minutes)
        if not sso.local_login_allowed(settings, services.find_user(form.email.data or "")):
            # Same words as a wrong password: the form tells nobody which accounts exist, or
            # whether a password that may also open the identity provider is right.
            flash("Invalid e-mail address or password.", "error")
            return render_template("auth/login.html", **page)
        try:
            user = services.authenticate(
                form.email.data or "", form.password.data or "", request.remote_addr or "?", policy
            )
        except services.LoginRefused as refused:
            # Failures are recorded, so this response must commit: it is a 200 with the form.
            flash(str(refused), "error")
            return render_template("auth/login.html", **page)
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", **page)


@bp.route("/login/sso")
@public
def sso_start() -> Response:
    """Send the browser to the identity provider (single sign-on)."""
    settings = _settings()
    if not sso.enabled(settings):
        abort(404)
    session["sso_next"] = _safe_next(request.args.get("next"))
    callback = settings.base_url + url_for("auth.sso_callback")
    provider = sso.client(current_app._get_current_object())  # type: ignore[attr-defined]
    response: Response = provider.authorize_redirect(callback)
    return response


@bp.route("/login/sso/callback")
@public
def sso_callback() -> Response | tuple[str, int]:
    """Finish single sign-on: verify the provider's answer, then log the person in."""
    from authlib.integrations.base_client.errors import OAuthError

    settings = _settings()
    if not sso.enabled(settings):
        abort(404)
    try:
        provider = sso.client(current_app._get_current_object())  # type: ignore[attr-defined]
        token = provider.authorize_access_token()
        user = sso.sign_in(sso.claims_of(token, settings), settings)
    except (OAuthError, services.AccountError) as error:
        db.session.rollback()
        message = getattr(error, "description", None) or str(error)
        flash(f"Single sign-on did not log you in: {message}", "error")
        form = LoginForm()
        page = {"form": form, "sso": True, "sso_name": settings.oidc_name}
        return render_template("auth/login.html", **page), 403
    login_user(user)
    return redirect(_safe_next(session.pop("sso_next", None)))


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End the session."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password() -> str | Response:
    """Send a reset link; the page says the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    minutes = _settings().password_reset_minutes
    if form.validate_on_submit():
        made = services.request_password_reset(
            form.email.data or "", request.remote_addr or "?", minutes
        )
        if made is not None:
            user, token = made
            link = _settings().base_url + url_for("auth.reset_password", token=token)
            notify(
                user.email,
                "Choose a new Ops Academy password",
                f"Someone (we hope you) asked to reset the password of your Ops Academy account."
                f"\nChoose a new one here: {link}\nThe link works once, for {minutes} minutes."
                f" If you did not ask, ignore this message: your password stays as it is.",
            )
        return render_template("auth/forgot.html", form=form, sent=True, minutes=minutes)
    return render_template("auth/forgot.html", form=form, sent=False, minutes=minutes)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> str | Response | tuple[str, int]:
    """Let the holder of a valid reset link choose a new password."""
    form = NewPasswordForm()
    page = {"form": form, "min_length": services.MIN_PASSWORD_LENGTH, "problem": None}
    try:
        services.open_reset_link(token)
    except services.AccountError as error:
        return render_template("auth/reset.html", **{**page, "problem": str(error)}), 404
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data or "")
        except services.AccountError as error:
            flash(str(error), "error")
            return render_template("auth/reset.html", **page), 400
        if current_user.is_authenticated:
            logout_user()
        flash("Your password is changed. Log in with the new one.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", **page)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response | tuple[str, int]:
    """The user's own account: change the password, choose the time zone."""
    from zoneinfo import available_timezones

    from app.clock import utcnow
    from app.formatting import reader_zone

    password_form = ChangePasswordForm(prefix="pw")
    zone_form = TimeZoneForm(prefix="tz", time_zone=current_user.time_zone or "")
    status = 200
    action = request.form.get("action")
    if action == "password" and password_form.validate_on_submit():
        try:
            services.change_password(
                current_user, password_form.current.data or "", password_form.password.data or ""
            )
        except services.AccountError as error:
            flash(str(error), "error")
            status = 400
        else:
            # This browser stays logged in (with the new session version); every other ends.
            login_user(current_user._get_current_object())
            flash("Your password is changed. Other sessions have ended.", "info")
            return redirect(url_for("auth.account"))
    elif action == "time_zone" and zone_form.validate_on_submit():
        try:
            services.set_time_zone(current_user, zone_form.time_zone.data or "")
        except services.AccountError as error:
            flash(str(error), "error")
            status = 400
        else:
            flash("Your time zone is saved.", "info")
            return redirect(url_for("auth.account"))
    elif request.method == "POST":
        status = 400
    page = render_template(
        "auth/account.html",
        password_form=password_form,
        zone_form=zone_form,
        zones=sorted(available_timezones()),
        zone_in_use=str(reader_zone()),
        now=utcnow(),
    )
    return page, status


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> str | Response | tuple[str, int]:
    """Let an invited person set their password."""
    try:
        invitation = services.open_invitation(token)
    except services.AccountError as error:
        return render_template("errors.html", code=400, title="Invitation", message=str(error)), 400
    form = AcceptInvitationForm(full_name=invitation.full_name)
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(
                token, form.full_name.data or "", form.password.data or ""
            )
        except services.AccountError as error:
            flash(str(error), "error")
            return render_template("auth/accept.html", form=form, invitation=invitation)
        login_user(user)
        flash("Welcome to Ops Academy.", "info")
        return redirect(url_for("learning.home"))
    return render_template("auth/accept.html", form=form, invitation=invitation)


def _invite_form() -> InviteForm:
    form = InviteForm()
    cohorts = cohorts_visible_to(current_user)
    form.cohort_id.choices = [(0, "No cohort")] + [(c.id, c.name) for c in cohorts]
    if not current_user.has_role(Role.ADMIN):
        form.role.choices = [(Role.TRAINEE.value, "Trainee")]
    return form


@bp.route("/invitations", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def invite() -> str | Response:
    """Invite someone by e-mail; the link lets them set a password."""
    form = _invite_form()
    link = None
    if form.validate_on_submit():
        cohort_id = form.cohort_id.data or None
        if not current_user.has_role(Role.ADMIN) and cohort_id is None:
            flash("Choose one of your cohorts.", "error")
            return render_template("auth/invite.html", form=form, link=None)
        try:
            invitation, token = services.invite(
                form.email.data or "",
                Role(form.role.data),
                current_user,
                _settings().invitation_days,
                full_name=form.full_name.data or "",
                cohort_id=cohort_id,
            )
        except services.AccountError as error:
            flash(str(error), "error")
            return render_template("auth/invite.html", form=form, link=None)
        link = _settings().base_url + url_for("auth.accept_invitation", token=token)
        notify(
            invitation.email,
            "Your Ops Academy invitation",
            f"You have been invited to Ops Academy. Set your password here: {link}\n"
            f"The link expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC.",
        )
        flash(f"Invitation created for {invitation.email}.", "info")
    return render_template("auth/invite.html", form=form, link=link)


@bp.route("/admin/users")
@roles_required(Role.ADMIN)
def users() -> str:
    """List every account."""
    people = db.session.scalars(select(User).order_by(User.role, User.full_name)).all()
    return render_template(
        "auth/users.html",
        users=people,
        role_form=RoleForm(),
        active_form=ActiveForm(),
        roles=list(Role),
    )


@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
@roles_required(Role.ADMIN)
def change_role(user_id: int) -> Response:
    """Give a user another role."""
    user = db.session.get(User, user_id) or abort(404)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash("You cannot change your own role.", "error")
    else:
        services.set_role(user, Role(form.role.data))
        flash(f"{user.full_name} is now {user.role}.", "info")
    return redirect(url_for("auth.users"))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def toggle_active(user_id: int) -> Response:
    """Deactivate or reactivate an account."""
    user = db.session.get(User, user_id) or abort(404)
    if not ActiveForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash("You cannot deactivate yourself.", "error")
    else:
        services.set_active(user, not user.active)
        flash(f"{user.full_name} is {'active' if user.active else 'deactivated'}.", "info")
    return redirect(url_for("auth.users"))
