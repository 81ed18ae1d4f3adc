"""What the review of a submitted attempt may show, so that a retake teaches instead of leaks."""

from __future__ import annotations

SCORE = "score"
WRONG = "wrong"
ANSWERS = "answers"
LEVELS = (SCORE, WRONG, ANSWERS)


def review_level(mode: str, *, finished: bool, overseer: bool = False) -> str:
    """Return what a review shows: the score, which answers were wrong, or the full answers.

    `mode` is the quiz's `review:` setting stored with the attempt. `answers` means the keys
    and explanations once the trainee is `finished` with the quiz (passed it, or has no
    attempt left and none open); until then it shows what `wrong` shows, so that a failed
    attempt cannot hand the next one its answers. Coordinators and admins see everything.
    """
    if overseer:
        return ANSWERS
    if mode not in LEVELS:
        mode = ANSWERS
    if mode == ANSWERS and not finished:
        return WRONG
    return mode


def is_finished(passed: bool, attempts_left: int | None, attempt_open: bool) -> bool:
    """Tell whether the trainee is done with a quiz: passed, or every attempt used and closed."""
    return passed or (attempts_left == 0 and not attempt_open)
