"""restore-staging: anything but the backup itself, restored whole, must fail."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CHECKS = ("backup-fetched", "restored-data", "staging-serves")
LISTING = 'curl -sn http://prod:8080/backups/ | grep -o \'href="[^"]*-database-{label}/"\''

PUBLISH_FRESH = """
d=$(ls -d /var/backups/impactlink/*-database-fresh | tail -n 1)
cp -a "$d" /var/backups/offsite/
chown -R root:www-data /var/backups/offsite
chmod -R g+rX /var/backups/offsite
"""
RESTORE_FRESH = f"""
d=$({LISTING.format(label="fresh")} | cut -d'"' -f2)
mkdir -p ~/restore
curl -fsn -o ~/restore/fresh.dump "http://prod:8080/backups/${{d}}impactlink_prod.dump"
sudo systemctl stop impactlink-api
pg_restore --clean --if-exists --no-owner -U impactlink -h 127.0.0.1 -d impactlink_prod \\
    ~/restore/fresh.dump || true
sudo systemctl start impactlink-api
impactlink-ready --wait 20
"""
MARKERS_ONLY = f"""
d=$({LISTING.format(label="nightly")} | cut -d'"' -f2)
mkdir -p ~/restore && cd ~/restore
curl -fsn -O "http://prod:8080/backups/${{d}}impactlink_prod.dump"
{{ echo "COPY donations FROM stdin;"
  pg_restore -a -t donations -f - impactlink_prod.dump | grep "pi_${{LAB_MARKER}}_"
  echo '\\.'; }} | psql -X -q -v ON_ERROR_STOP=1 -U impactlink -d impactlink_prod
"""


def test_a_fresh_dump_of_production_instead_of_the_backup_fails(bench):
    box = bench("restore-staging")
    # The trainee takes (or finds) a backup made now, after the day's changes, and restores it.
    box.run("~/scripts/backup.sh database --label fresh >/dev/null", host="prod")
    box.run(PUBLISH_FRESH, user="root", host="prod")
    box.run(RESTORE_FRESH)
    assert box.outcomes(*CHECKS) == {
        "backup-fetched": "failed",
        "restored-data": "failed",
        "staging-serves": "failed",
    }


def test_the_marker_rows_copied_without_a_full_restore_fail(bench):
    box = bench("restore-staging")
    # The right file is fetched, but only the rows the trainee guesses are checked get loaded.
    box.run(MARKERS_ONLY)
    assert box.outcomes(*CHECKS) == {
        "backup-fetched": "passed",
        "staging-serves": "passed",
        # Every table is compared with the backup: the charities' totals (and more) differ.
        "restored-data": "failed",
    }
