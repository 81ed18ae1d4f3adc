"""Forms of the lab pages (most carry only the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length


class LabActionForm(FlaskForm):
    """Start, extend or finish a lab (the CSRF token is the whole form)."""


class AnswerForm(FlaskForm):
    """The trainee's answer to one answer check."""

    check_id = HiddenField(validators=[DataRequired()])
    answer = StringField("Your answer", validators=[DataRequired(), Length(max=500)])
