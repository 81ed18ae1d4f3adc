"""Coordination tests share the cohort, catalog and outbox fixtures of the sign-off tests."""

from tests.certification.conftest import catalog, outbox, team  # noqa: F401
