"""Forms of the lab pages (most carry only the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class LabActionForm(FlaskForm):
    """Start, extend or finish a lab (the CSRF token is the whole form)."""


class AnswerForm(FlaskForm):
    """The trainee's answer to one answer check."""

    check_id = HiddenField(validators=[DataRequired()])
    answer = StringField("Your answer", validators=[DataRequired(), Length(max=500)])


class ExamRecordForm(FlaskForm):
    """The incident record of an exam attempt, written by the trainee."""

    timeline = TextAreaField(
        "Timeline", validators=[DataRequired(), Length(max=10_000)], render_kw={"rows": 6}
    )
    cause = TextAreaField(
        "Causes", validators=[DataRequired(), Length(max=10_000)], render_kw={"rows": 4}
    )
    fix = TextAreaField(
        "What you changed", validators=[DataRequired(), Length(max=10_000)], render_kw={"rows": 4}
    )
    follow_up = TextAreaField(
        "Follow-up", validators=[DataRequired(), Length(max=10_000)], render_kw={"rows": 4}
    )


class ExamReviewForm(FlaskForm):
    """A coordinator's decision on an incident record: approve, or return with a comment."""

    comment = TextAreaField(
        "Comment (required to return)", validators=[Length(max=10_000)], render_kw={"rows": 3}
    )
    approve = SubmitField("Approve")
    send_back = SubmitField("Return with comment")


class UpdateForm(FlaskForm):
    """A status update of an incident drill: the stage it reports and its text."""

    status = SelectField(
        "Stage",
        choices=[
            ("investigating", "Investigating"),
            ("identified", "Identified"),
            ("monitoring", "Monitoring"),
            ("resolved", "Resolved"),
        ],
        validators=[DataRequired()],
    )
    text = TextAreaField("Update", validators=[DataRequired(), Length(max=2000)])
