"""One rule each for scores, sizes and content titles, shared by every page."""

from __future__ import annotations

import pytest

from app.formatting import (
    lab_title,
    purpose_text,
    quiz_title,
    score_text,
    size_text,
    spreadsheet_cell,
    task_title,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (0.0, "0.0%"),
        (16.7, "16.7%"),
        (16.66, "16.7%"),
        (70, "70.0%"),
        (100.0, "100.0%"),
    ],
)
def test_a_score_is_written_with_one_decimal(value, text):
    assert score_text(value) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (None, "—"),
        (0, "0 B"),
        (512, "512 B"),
        (1023, "1023 B"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (1024 * 1024 - 1, "1.0 MB"),
        (3 * 1024 * 1024, "3.0 MB"),
        (64 * 1024 * 1024, "64.0 MB"),
    ],
)
def test_a_size_is_written_in_bytes_then_kb_then_mb(count, text):
    assert size_text(count) == text


def test_the_filters_and_titles_are_registered(app, session):
    from app.content import get_catalog

    assert app.jinja_env.filters["score"] is score_text
    assert app.jinja_env.filters["size"] is size_text
    with app.test_request_context():
        catalog = get_catalog()
        lab = catalog.sections["labs"]["outage-502"]
        assert lab_title("outage-502") == lab.title == "Troubleshoot a 502 outage"
        assert lab_title("gone-lab") == "gone-lab"
        assert quiz_title("day-01-quiz") == "Day 1 knowledge check"
        assert quiz_title("gone-quiz") == "gone-quiz"
        assert task_title(lab, lab.tasks[0].id) == lab.tasks[0].title
        assert task_title(lab, "gone-task") == "gone-task"
        assert purpose_text("lab:outage-502") == "Lab: Troubleshoot a 502 outage"
        assert purpose_text("pool") == "pool"


def test_csv_cells_a_spreadsheet_would_run_get_a_quote_in_front():
    for text in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\r=1"):
        assert spreadsheet_cell(text) == "'" + text
    for text in ("Thandi Trainee", "", "1-2", "a=b", "'quoted"):
        assert spreadsheet_cell(text) == text
