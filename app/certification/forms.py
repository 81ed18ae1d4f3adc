"""Forms for attested work, the acknowledgment, decisions, sign-off and revocation."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.certification.models import SIGNOFF_ATTESTATION_KINDS

# The checklist records only the work it counts; drill activities have their own form.
KIND_CHOICES = [(kind.value, kind.label) for kind in SIGNOFF_ATTESTATION_KINDS]


class AttestationForm(FlaskForm):
    """A shadow shift or incident response, as the trainee records it."""

    kind = SelectField("What", choices=KIND_CHOICES)
    occurred_on = DateField("Date", validators=[DataRequired()])
    counterpart = StringField(
        "Whom you shadowed, or the incident's reference",
        validators=[DataRequired(), Length(max=200)],
    )
    description = TextAreaField(
        "What you did", validators=[DataRequired(), Length(min=20, max=4000)]
    )


class AcknowledgmentForm(FlaskForm):
    """The trainee's full name, typed as a signature."""

    typed_name = StringField(
        "Type your full name to sign", validators=[DataRequired(), Length(max=200)]
    )


class DecisionForm(FlaskForm):
    """A coordinator's approval or rejection, with a comment."""

    decision = RadioField(
        "Decision",
        choices=[("approve", "Approve"), ("reject", "Reject")],
        validators=[DataRequired()],
    )
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=4000)])


class SignoffForm(FlaskForm):
    """The final sign-off (the CSRF token is the whole form)."""


class RevokeForm(FlaskForm):
    """Why an admin revokes a certificate."""

    reason = TextAreaField(
        "Reason (shown publicly)", validators=[DataRequired(), Length(min=5, max=1000)]
    )
