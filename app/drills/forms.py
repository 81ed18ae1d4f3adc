"""Forms of the drills pages: start a quiz drill, record an attested activity."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class StartDrillForm(FlaskForm):
    """Start or resume a quiz drill (the CSRF token is the whole form)."""


class ActivityForm(FlaskForm):
    """An attested activity of a drill (a training session, an architecture review)."""

    occurred_on = DateField("Date", validators=[DataRequired()])
    counterpart = StringField(
        "Who led it, or whom you reviewed it with", validators=[DataRequired(), Length(max=200)]
    )
    description = TextAreaField(
        "What was covered and what you did", validators=[DataRequired(), Length(min=20, max=4000)]
    )
