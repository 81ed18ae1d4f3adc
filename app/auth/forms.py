"""Forms for logging in, accepting invitations and managing users."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from app.auth.models import Role
from app.auth.services import MIN_PASSWORD_LENGTH

ROLE_CHOICES = [(r.value, r.value.title()) for r in Role]


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=512)])


class AcceptInvitationForm(FlaskForm):
    """The invitee's name and chosen password."""

    full_name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=512)]
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )


class InviteForm(FlaskForm):
    """Whom to invite, in which role and cohort."""

    email = EmailField(
        "E-mail",
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an e-mail address."),
        ],
    )
    full_name = StringField("Full name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.TRAINEE.value)
    cohort_id = SelectField("Cohort", coerce=int, choices=[], validate_choice=True)


class RoleForm(FlaskForm):
    """A new role for an existing user."""

    role = SelectField("Role", choices=ROLE_CHOICES)


class ActiveForm(FlaskForm):
    """An empty form: the button says whether to activate or deactivate."""


class ForgotPasswordForm(FlaskForm):
    """The e-mail address to send a reset link to."""

    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=512)]
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", "Passwords differ.")],
    )


class ChangePasswordForm(NewPasswordForm):
    """The current password and a new one."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=512)])


class TimeZoneForm(FlaskForm):
    """The zone times are shown in; empty for the browser's."""

    time_zone = StringField(
        "Time zone",
        validators=[Optional(), Length(max=64)],
        description="An IANA name such as Africa/Johannesburg; leave empty to follow your browser.",
    )
