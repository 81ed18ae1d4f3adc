"""Forms for cohort management and bulk onboarding."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, EmailField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length


class CohortForm(FlaskForm):
    """A new cohort: its name, first day and coordinators."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    start_date = DateField("First day", validators=[DataRequired()])
    coordinator_ids = SelectMultipleField("Coordinators", coerce=int, choices=[])


class CoordinatorForm(FlaskForm):
    """A coordinator to add to a cohort."""

    user_id = SelectField("Coordinator", coerce=int, choices=[], validators=[DataRequired()])


class MemberForm(FlaskForm):
    """An existing trainee to put into a cohort."""

    email = EmailField("Trainee's e-mail", validators=[DataRequired(), Length(max=254)])


class RosterForm(FlaskForm):
    """A CSV file with the columns email and full_name."""

    roster = FileField(
        "Roster (CSV with the columns email, full_name)",
        validators=[FileRequired(), FileAllowed(["csv", "txt"], "Upload a .csv file.")],
    )
