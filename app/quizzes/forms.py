"""Forms for taking quizzes and for the coordinator's actions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

ANSWER_PREFIX = "q-"
BACK_PAGES = ("statistics", "trainee")


class StartForm(FlaskForm):
    """Start or resume an attempt (the CSRF token is the whole form)."""


class PaperForm(FlaskForm):
    """The attempt's answers; its fields are the paper's questions, read by answers_from()."""


class RegradeForm(FlaskForm):
    """Why the quiz is being regraded, recorded in its history."""

    reason = TextAreaField(
        "Reason (recorded with the regrade)", validators=[DataRequired(), Length(max=2000)]
    )


class ExtraAttemptForm(FlaskForm):
    """Grant a trainee one more attempt."""

    reason = StringField("Reason", validators=[Optional(), Length(max=500)])
    # Which page to return to: a name, never a URL, so the form cannot redirect elsewhere.
    back = HiddenField(validators=[Optional(), AnyOf(BACK_PAGES)])


def answers_from(formdata: MultiDict[str, str]) -> dict[str, list[str]]:
    """Collect the submitted values of every answer field, keyed by question id."""
    return {
        key[len(ANSWER_PREFIX) :]: formdata.getlist(key)
        for key in formdata
        if key.startswith(ANSWER_PREFIX)
    }
