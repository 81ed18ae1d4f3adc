"""Prepared lab sandboxes: a lab's setup already run, so Start opens the terminal at once.

Starting a lab from nothing means booting a sandbox (or claiming a plain warm one) and then
running the lab's setup in it, which is most of a trainee's wait. For labs people are starting,
the supervisor keeps a few sandboxes with the setup already run:

* **Sizing** (`maintain`, every second from the labs' supervisor task): per lab, as many as its
  starts in the last hour, at most `lab_prepared_per_lab` (0 turns the feature off) and
  `lab_prepared_total` for all labs together; a new one starts only while the capacity module
  leaves HEADROOM_HOSTS free besides it, no trainee's request is waiting for room, and fewer than
  PREPARES_AT_ONCE are booting or setting up. A trainee's request short of room retires prepared
  sandboxes first (`app.sandboxes.pool._evict_warm`).
* **Preparing**: a sandbox of the lab's host set is started with the purpose `prepared:<slug>`
  and no owner. Once it is up (`ready`, never `warm`, so a plain request can never take it), the
  values are drawn from a fresh seed and the lab's setup runs in it (`run_prepare`), exactly as
  for a session; then the row is `ready`.
* **Claiming** (`hand_over`, inside `start_session`'s savepoint): one conditional UPDATE moves a
  ready row to `claimed` (only one Start can win it; the unique `session_id` keeps a session to
  one), a second one hands the sandbox to the trainee only while it is still ready and unowned.
  The seed and values become the session's (the coordinator sees what the trainee was given),
  the session is active at once, and its time limit and the sandbox's hard limit count from now.
* **Retiring**: a row whose lab's content version changed, which is older than
  `lab_prepared_minutes`, whose lab no longer qualifies, or whose sandbox went away is discarded
  and its sandbox released.

A lab whose setup uses the session's id (`LAB_SESSION` or `{session}`) is never prepared: the
id is not known before the Start.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select, text, update

from app.clock import as_utc, utcnow
from app.config import Settings
from app.content.labs import Lab
from app.extensions import db
from app.labs.models import LabSession, PreparedLab, PreparedStatus, SessionStatus
from app.labs.values import draw_values, new_seed

log = logging.getLogger("academy.labs")

# Sessions started in this window are the demand a lab's prepared sandboxes are sized by.
DEMAND_WINDOW = timedelta(hours=1)
# Prepared sandboxes booting or setting up at once (each takes most of a core for a while).
PREPARES_AT_ONCE = 2
# Hosts the capacity module must still leave free after a new prepared sandbox starts.
HEADROOM_HOSTS = 2
# How often the supervisor's tick looks at the prepared sandboxes.
MAINTAIN_SECONDS = 1.0
# Booting a sandbox takes at most this long (pool.READY_TIMEOUT and the engine's own waits); a
# preparation still setting up after it and every setup step's timeout was abandoned.
BOOT_ALLOWANCE = timedelta(minutes=5)
# After a failed preparation a lab waits this long before it is prepared again.
FAILURE_BACKOFF = timedelta(minutes=5)
# Where several workers share PostgreSQL, one at a time fills.
LOCK_KEY = 20261205
CLAIM_ATTEMPTS = 5
LIVE = (PreparedStatus.BOOTING.value, PreparedStatus.SETTING_UP.value, PreparedStatus.READY.value)
SANDBOX_GONE = ("expired", "destroyed", "failed")
_LAST_RUN = "academy.labs.warm_maintained"


def poolable(lab: Lab) -> bool:
    """Tell whether a lab can be prepared before its session exists."""
    return not any(
        "LAB_SESSION" in step.script.text or "{session}" in step.script.text for step in lab.setup
    )


def purpose_of(slug: str) -> str:
    """Return the purpose a prepared sandbox of a lab carries until it is claimed."""
    from app.sandboxes.pool import PREPARED_PURPOSE_PREFIX

    return f"{PREPARED_PURPOSE_PREFIX}{slug}"


# -- claiming ---------------------------------------------------------------------------------


def hand_over(session: LabSession, lab: Lab, user_id: int, now: datetime | None = None) -> bool:
    """Give a starting session a prepared sandbox of its lab; False when none is ready.

    Called inside start_session's savepoint: if the session's insert loses a race (the open
    session index), the claim is rolled back with it and the sandbox stays ready for the next.
    """
    from app.sandboxes.models import Sandbox, SandboxStatus

    settings: Settings = current_app.config["ACADEMY"]
    now = now or utcnow()
    candidates = (
        select(PreparedLab.id)
        .join(Sandbox, Sandbox.id == PreparedLab.sandbox_id)
        .where(
            PreparedLab.lab_slug == lab.id,
            PreparedLab.status == PreparedStatus.READY.value,
            PreparedLab.content_version == session.content_version,
            Sandbox.status == SandboxStatus.READY.value,
            Sandbox.owner_id.is_(None),
        )
    )
    for _ in range(CLAIM_ATTEMPTS):
        # One statement picks and claims: the write comes first, so SQLite takes its write lock
        # before anything is read (no upgrade deadlock with the supervisor), and PostgreSQL
        # skips rows another Start has locked.
        oldest = (
            candidates.order_by(PreparedLab.ready_at)
            .limit(1)
            .with_for_update(skip_locked=True, of=PreparedLab)
            .scalar_subquery()
        )
        found = db.session.execute(
            update(PreparedLab)
            .where(PreparedLab.id == oldest, PreparedLab.status == PreparedStatus.READY.value)
            .values(status=PreparedStatus.CLAIMED.value, claimed_at=now)
            .returning(PreparedLab.id, PreparedLab.sandbox_id)
            .execution_options(synchronize_session=False)
        ).first()
        if found is None:
            if db.session.scalar(select(candidates.exists())):
                continue  # others were claiming them at this moment: try again
            return False
        prepared_id, sandbox_id = found
        took = db.session.execute(
            update(Sandbox)
            .where(
                Sandbox.id == sandbox_id,
                Sandbox.status == SandboxStatus.READY.value,
                Sandbox.owner_id.is_(None),
            )
            .values(
                owner_id=user_id,
                purpose=f"lab:{lab.id}",
                claimed_at=now,
                last_activity_at=now,
                expires_at=now + timedelta(minutes=settings.sandbox_hard_limit_minutes),
                progress="Ready",
                progress_percent=100,
                warning=None,
            )
            .execution_options(synchronize_session=False)
        )
        if took.rowcount != 1:  # type: ignore[attr-defined]
            # Retired meanwhile (room for a trainee, or it stopped): drop it, try the next.
            _move(
                prepared_id,
                PreparedStatus.CLAIMED,
                status=PreparedStatus.DISCARDED.value,
                ended_at=now,
                error="its sandbox was retired before a trainee claimed it",
            )
            continue
        prepared = db.session.get(PreparedLab, prepared_id, populate_existing=True)
        assert prepared is not None
        session.seed = prepared.seed
        session.values = dict(prepared.values)
        session.sandbox_id = sandbox_id
        session.status = SessionStatus.ACTIVE.value
        session.busy = None
        session.progress = "Ready"
        session.progress_percent = 100
        session.started_at = now
        # The clock starts now, when the trainee can work, as it does after a setup.
        session.ready_at = now
        session.expires_at = now + timedelta(minutes=lab.time_limit_minutes)
        db.session.add(session)
        db.session.flush()
        prepared.session_id = session.id
        db.session.flush()
        log.info(
            "lab session started from a prepared sandbox",
            extra={"fields": {"session": session.id, "lab": lab.id, "prepared": prepared_id}},
        )
        return True
    return False


def _move(prepared_id: int, before: PreparedStatus, **values: Any) -> bool:
    """Update a prepared row only while it is still in the state expected."""
    result = db.session.execute(
        update(PreparedLab)
        .where(PreparedLab.id == prepared_id, PreparedLab.status == before.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


# -- the supervisor's side --------------------------------------------------------------------


def maintain(app: Flask) -> None:
    """Retire stale prepared sandboxes, set up the booted ones, and start more where wanted."""
    last = app.extensions.get(_LAST_RUN, 0.0)
    if time.monotonic() - last < MAINTAIN_SECONDS:
        return
    app.extensions[_LAST_RUN] = time.monotonic()
    from app.content import ContentError, get_catalog
    from app.content.labs import labs_of

    try:
        catalog = get_catalog()
    except ContentError:
        return
    settings: Settings = app.config["ACADEMY"]
    labs = labs_of(catalog)
    now = utcnow()
    _retire(labs, catalog.version, settings, now)
    _advance(app, now)
    if settings.lab_prepared_per_lab > 0 and settings.lab_prepared_total > 0:
        _fill(app, labs, catalog.version, settings, now)


def _retire(labs: dict[str, Lab], version: str, settings: Settings, now: datetime) -> None:
    """Discard prepared rows that may no longer be handed out, releasing their sandboxes."""
    from app.sandboxes.models import Sandbox
    from app.sandboxes.services import release

    oldest = now - timedelta(minutes=settings.lab_prepared_minutes)
    rows = db.session.execute(
        select(
            PreparedLab.id,
            PreparedLab.status,
            PreparedLab.lab_slug,
            PreparedLab.content_version,
            PreparedLab.created_at,
            PreparedLab.sandbox_id,
            Sandbox.status,
            Sandbox.owner_id,
        )
        .outerjoin(Sandbox, Sandbox.id == PreparedLab.sandbox_id)
        .where(PreparedLab.status.in_(LIVE))
    ).all()
    for prepared_id, status, slug, content, created, sandbox_id, box, owner in rows:
        lab = labs.get(slug)
        why = None
        if box is None or box in SANDBOX_GONE or owner is not None:
            why = "its sandbox went away"
        elif content != version or lab is None:
            why = "the lab's content changed"
        elif not poolable(lab) or settings.lab_prepared_per_lab <= 0:
            why = "the lab is no longer prepared"
        elif as_utc(created) < oldest:
            why = f"unclaimed for {settings.lab_prepared_minutes} minutes"
        elif status == PreparedStatus.SETTING_UP.value and as_utc(created) < now - allowance(lab):
            why = "its setup was interrupted (the worker stopped)"
        if why is None:
            continue
        if _move(prepared_id, PreparedStatus(status), status=PreparedStatus.DISCARDED.value,
                 ended_at=now, error=why):  # fmt: skip
            if box is not None and box not in SANDBOX_GONE and owner is None:
                release(sandbox_id)
            log.info("prepared sandbox %s of %s discarded: %s", prepared_id, slug, why)
    db.session.commit()


def allowance(lab: Lab) -> timedelta:
    """Return how long after its start a preparation can still be setting up."""
    return BOOT_ALLOWANCE + timedelta(seconds=sum(step.timeout for step in lab.setup))


def _advance(app: Flask, now: datetime) -> None:
    """Run the lab's setup in prepared sandboxes whose hosts are up."""
    from app.sandboxes.models import Sandbox, SandboxStatus
    from app.sandboxes.supervisor import BACKGROUND, submit

    booted = db.session.scalars(
        select(PreparedLab.id)
        .join(Sandbox, Sandbox.id == PreparedLab.sandbox_id)
        .where(
            PreparedLab.status == PreparedStatus.BOOTING.value,
            Sandbox.status == SandboxStatus.READY.value,
            Sandbox.owner_id.is_(None),
        )
    ).all()
    claimed = [
        prepared_id
        for prepared_id in booted
        if _move(prepared_id, PreparedStatus.BOOTING, status=PreparedStatus.SETTING_UP.value)
    ]
    db.session.commit()
    for prepared_id in claimed:
        submit(run_prepare, app, prepared_id, priority=BACKGROUND)


def demand(now: datetime) -> dict[str, int]:
    """Return each lab's starts in the last DEMAND_WINDOW."""
    rows = db.session.execute(
        select(LabSession.lab_slug, func.count())
        .where(LabSession.started_at >= now - DEMAND_WINDOW)
        .group_by(LabSession.lab_slug)
    ).all()
    return {slug: int(count) for slug, count in rows}


def targets(labs: dict[str, Lab], settings: Settings, now: datetime) -> dict[str, int]:
    """Return how many prepared sandboxes each lab should have (before the global caps)."""
    wanted = demand(now)
    return {
        slug: min(settings.lab_prepared_per_lab, wanted.get(slug, 0))
        for slug, lab in labs.items()
        if poolable(lab) and wanted.get(slug, 0) > 0
    }


def _fill(
    app: Flask, labs: dict[str, Lab], version: str, settings: Settings, now: datetime
) -> None:
    """Start prepared sandboxes up to each lab's target, within the caps and the capacity."""
    from app.labs.services import host_specs
    from app.sandboxes import pool
    from app.sandboxes.models import Sandbox, SandboxStatus
    from app.sandboxes.services import profile_key
    from app.sandboxes.supervisor import BACKGROUND, submit

    wanted = targets(labs, settings, now)
    if not wanted:
        return
    waiting = db.session.scalar(
        select(func.count()).where(Sandbox.status == SandboxStatus.REQUESTED.value)
    )
    if waiting or not _lock():
        return  # trainees first: their requests get the room
    live = dict(
        db.session.execute(
            select(PreparedLab.lab_slug, func.count())
            .where(PreparedLab.status.in_(LIVE), PreparedLab.content_version == version)
            .group_by(PreparedLab.lab_slug)
        ).all()
    )
    total = int(db.session.scalar(select(func.count()).where(PreparedLab.status.in_(LIVE))) or 0)
    busy = int(
        db.session.scalar(
            select(func.count()).where(
                PreparedLab.status.in_(
                    [PreparedStatus.BOOTING.value, PreparedStatus.SETTING_UP.value]
                )
            )
        )
        or 0
    )
    room = pool.capacity(app, settings)
    if room.refusal:
        db.session.commit()
        return
    free = room.hosts - room.in_use
    made: list[str] = []
    # The labs most in demand first.
    for slug, target in sorted(wanted.items(), key=lambda item: -item[1]):
        lab = labs[slug]
        size = len(lab.hosts)
        if _failed_lately(slug, now):
            continue
        for _ in range(target - int(live.get(slug, 0))):
            if total >= settings.lab_prepared_total or busy >= PREPARES_AT_ONCE:
                break
            if free - size < HEADROOM_HOSTS:
                break
            seed = new_seed()
            sandbox = Sandbox(
                profile=profile_key(host_specs(lab)),
                status=SandboxStatus.STARTING.value,
                purpose=purpose_of(slug),
                progress=f"Preparing {lab.title}",
                progress_percent=5,
                last_activity_at=now,
            )
            db.session.add(sandbox)
            db.session.flush()
            db.session.add(
                PreparedLab(
                    lab_slug=slug,
                    sandbox_id=sandbox.id,
                    content_version=version,
                    seed=seed,
                    values=draw_values(lab.values, seed),
                    status=PreparedStatus.BOOTING.value,
                    created_at=now,
                )
            )
            made.append(sandbox.id)
            free -= size
            total += 1
            busy += 1
    db.session.commit()
    for sandbox_id in made:
        submit(pool.start_sandbox, sandbox_id, priority=BACKGROUND)


def _failed_lately(slug: str, now: datetime) -> bool:
    """Tell whether the lab's newest preparation failed within FAILURE_BACKOFF."""
    newest = db.session.execute(
        select(PreparedLab.status, PreparedLab.error, PreparedLab.ended_at)
        .where(PreparedLab.lab_slug == slug, PreparedLab.ended_at.is_not(None))
        .order_by(PreparedLab.ended_at.desc())
        .limit(1)
    ).first()
    if newest is None or not (newest.error or "").startswith("failed"):
        return False
    return now - as_utc(newest.ended_at) < FAILURE_BACKOFF


def _lock() -> bool:
    """Let one worker at a time fill (a transaction-scoped PostgreSQL advisory lock)."""
    if db.engine.dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(text(f"SELECT pg_try_advisory_xact_lock({LOCK_KEY})")))


def run_prepare(app: Flask, prepared_id: int) -> None:
    """Run the lab's setup in a prepared sandbox (supervisor job), then offer it to trainees."""
    from app.content import get_catalog
    from app.content.labs import labs_of
    from app.labs.jobs import run_step, sandbox_executor, step_failure
    from app.sandboxes.services import release

    with app.app_context():
        prepared = db.session.get(PreparedLab, prepared_id)
        if prepared is None or prepared.status != PreparedStatus.SETTING_UP.value:
            return
        slug, values, sandbox_id = prepared.lab_slug, dict(prepared.values), prepared.sandbox_id
        lab = labs_of(get_catalog()).get(slug)
        db.session.commit()  # hold no transaction while the setup runs
        failure = "failed: the lab no longer exists" if lab is None else None
        started = time.monotonic()
        execute = sandbox_executor(sandbox_id)
        for step in lab.setup if lab is not None else ():
            result = run_step(execute, step, values, "prepared")
            if result.exit_code != 0 or result.timed_out:
                failure = f"failed: {step_failure(step, result)}"
                break
            db.session.expire_all()
            if (
                db.session.scalar(select(PreparedLab.status).where(PreparedLab.id == prepared_id))
                != PreparedStatus.SETTING_UP.value
            ):
                return  # discarded meanwhile; its sandbox was released with it
        now = utcnow()
        if failure is None:
            if _move(prepared_id, PreparedStatus.SETTING_UP, status=PreparedStatus.READY.value,
                     ready_at=now):  # fmt: skip
                log.info(
                    "prepared sandbox ready",
                    extra={"fields": {"prepared": prepared_id, "lab": slug,
                                      "setup_seconds": round(time.monotonic() - started, 1)}},
                )  # fmt: skip
        elif _move(prepared_id, PreparedStatus.SETTING_UP, status=PreparedStatus.DISCARDED.value,
                   ended_at=now, error=failure[:2000]):  # fmt: skip
            log.warning("preparing a lab sandbox %s", failure[:300])
            release(sandbox_id)
        db.session.commit()


def summary(now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Return, per lab, how many prepared sandboxes are in each live state (for pages, benches)."""
    rows = db.session.execute(
        select(PreparedLab.lab_slug, PreparedLab.status, func.count())
        .where(PreparedLab.status.in_(LIVE))
        .group_by(PreparedLab.lab_slug, PreparedLab.status)
    ).all()
    found: dict[str, dict[str, int]] = {}
    for slug, status, count in rows:
        found.setdefault(slug, {})[status] = int(count)
    return found
