"""The `drills:` section of programme.yaml: recurring drills that keep a certificate current.

Each drill is a lab (passed again), a quiz (passed again) or an attested activity (recorded by
the operator, approved by a coordinator), due once per period (weekly, monthly, quarterly) with a
grace window. The section also holds the reminder lead time, the suspension rule and how drills
extend a certificate. Problems are reported with file and line, like the rest of the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.content.errors import Problems
from app.content.programme import check_id
from app.content.yamlfile import Fields, Node, Seq

if TYPE_CHECKING:
    from app.config import Settings
    from app.content.catalog import Catalog

SECTION = "drills"
PERIODS = ("weekly", "monthly", "quarterly")
# The longest grace window a period allows: a drill's grace must end before its next one is due.
MAX_GRACE = {"weekly": 6, "monthly": 27, "quarterly": 89}
KINDS = ("lab", "quiz", "activity")
# Attested activities a drill can ask for (app.certification.models.DRILL_ATTESTATION_KINDS).
ACTIVITIES = ("training_session", "architecture_review")
SECTION_KEYS = ("remind_days_before", "suspend", "recertify", "items")
SUSPEND_KEYS = ("after_missed", "periods")
RECERTIFY_KEYS = ("extend_months", "max_extensions")
DRILL_KEYS = ("id", "title", "description", "period", "grace_days", "audience", *KINDS)
AUDIENCE_KEYS = ("cohorts",)


@dataclass(frozen=True)
class Drill:
    """One recurring drill and what satisfies it."""

    id: str
    title: str
    kind: str  # lab | quiz | activity
    target: str  # the lab slug, the quiz id or the attestation kind
    period: str
    grace_days: int
    description: str = ""
    # Empty: every certified operator; otherwise holders in cohorts of these names only.
    cohorts: tuple[str, ...] = ()

    def applies_to(self, cohort_name: str | None) -> bool:
        """Tell whether an operator in this cohort (None: in none) owes the drill."""
        return not self.cohorts or (cohort_name is not None and cohort_name in self.cohorts)


@dataclass(frozen=True)
class DrillRules:
    """Every drill of the programme with the rules around them."""

    drills: tuple[Drill, ...] = ()
    remind_days_before: int = 3
    # The certificate is suspended once this many occurrences of drills of `suspend_periods`
    # are missed and not caught up; 0 never suspends.
    suspend_after_missed: int = 0
    suspend_periods: tuple[str, ...] = PERIODS
    # Completing every drill of a certificate's last year, on time, extends it this many months
    # (at most max_extensions times before a full recertification); 0 turns it off.
    extend_months: int = 0
    max_extensions: int = 0

    def drill(self, drill_id: str) -> Drill | None:
        """Return a drill by id."""
        return next((d for d in self.drills if d.id == drill_id), None)


def drill_rules(catalog: Catalog) -> DrillRules:
    """Return the catalog's drills (none when the programme declares no `drills:`)."""
    rules = catalog.sections.get(SECTION)
    return rules if isinstance(rules, DrillRules) else DrillRules()


def _empty(line: int) -> Node:
    node = Node()
    node.line = line
    node.key_lines = {}
    return node


def load_drills(catalog: Catalog, settings: Settings, problems: Problems) -> None:
    """Parse `drills:` of programme.yaml into catalog.sections["drills"]."""
    path = settings.content_dir / "programme.yaml"
    raw = catalog.programme.extra.get("drills")
    if raw is None:
        catalog.sections[SECTION] = DrillRules()
        return
    f = Fields(raw, path, problems, "drills")
    if not f.ok:
        catalog.sections[SECTION] = DrillRules()
        return
    f.allow_only(SECTION_KEYS)
    remind = f.get("remind_days_before", int, 3)
    if not 0 <= remind <= 30:
        f.error("remind_days_before", f"remind_days_before must be 0 to 30, got {remind}")
    seen: set[str] = set()

    def build(node: Any, line: int) -> Drill | None:
        drill = _drill(node, line, path, problems, catalog)
        if drill is None:
            return None
        if drill.id in seen:
            problems.add(path, line, f"drill id {drill.id!r} is used twice")
        seen.add(drill.id)
        return drill

    drills = tuple(f.items("items", build, required=True))
    if "items" in f.node and not drills and isinstance(f.node.get("items"), list):
        f.error("items", "drills must list at least one drill")
    suspend = Fields(
        f.node.get("suspend", _empty(f.line("suspend"))),
        path,
        problems,
        "drills suspend",
        f.line("suspend"),
    )
    suspend.allow_only(SUSPEND_KEYS)
    after = suspend.get("after_missed", int, 0, required="suspend" in f.node)
    if not 0 <= after <= 52:
        suspend.error("after_missed", f"after_missed must be 0 to 52, got {after}")
    periods = tuple(suspend.strings("periods")) or PERIODS
    for period in periods:
        if period not in PERIODS:
            suspend.error("periods", f"period {period!r} is not one of {', '.join(PERIODS)}")
    recertify = Fields(
        f.node.get("recertify", _empty(f.line("recertify"))),
        path,
        problems,
        "drills recertify",
        f.line("recertify"),
    )
    recertify.allow_only(RECERTIFY_KEYS)
    extend = recertify.get("extend_months", int, 0)
    if not 0 <= extend <= 24:
        recertify.error("extend_months", f"extend_months must be 0 to 24, got {extend}")
    most = recertify.get("max_extensions", int, 1 if extend else 0)
    if not 0 <= most <= 10:
        recertify.error("max_extensions", f"max_extensions must be 0 to 10, got {most}")
    catalog.sections[SECTION] = DrillRules(
        drills=drills,
        remind_days_before=remind,
        suspend_after_missed=after,
        suspend_periods=periods,
        extend_months=extend,
        max_extensions=most,
    )


def _drill(node: Any, line: int, path: Any, problems: Problems, catalog: Catalog) -> Drill | None:
    f = Fields(node, path, problems, "drill", line)
    if not f.ok:
        return None
    f.allow_only(DRILL_KEYS)
    drill_id = f.text("id", required=True)
    check_id(drill_id, f, "id")
    kinds = [kind for kind in KINDS if kind in f.node]
    if len(kinds) != 1:
        f.error(
            kinds[1] if len(kinds) > 1 else None,
            f"drill {drill_id!r} must name exactly one of lab, quiz or activity",
        )
        return None
    kind = kinds[0]
    target = f.text(kind, required=True)
    if kind == "lab":
        labs = catalog.sections.get("labs", {})
        lab = labs.get(target)
        if target and lab is None:
            f.error("lab", f"lab {target!r} does not exist in labs/")
        elif lab is not None and getattr(lab, "is_exam", False):
            f.error("lab", f"lab {target!r} is an exam: a drill must be a lab that can be retaken")
    elif kind == "quiz":
        quizzes = getattr(catalog.sections.get("quizzes"), "quizzes", {})
        if target and target not in quizzes:
            f.error("quiz", f"quiz {target!r} does not exist in curriculum/")
    elif target and target not in ACTIVITIES:
        f.error("activity", f"activity must be one of {', '.join(ACTIVITIES)}, got {target!r}")
    period = f.text("period", required=True)
    if period and period not in PERIODS:
        f.error("period", f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    grace = f.get("grace_days", int, 0, required=True)
    limit = MAX_GRACE.get(period, 89)
    if grace is not None and not 0 <= grace <= limit:
        f.error("grace_days", f"grace_days of a {period} drill must be 0 to {limit}, got {grace}")
    return Drill(
        id=drill_id,
        title=f.text("title", required=True),
        kind=kind,
        target=target,
        period=period,
        grace_days=grace or 0,
        description=f.text("description"),
        cohorts=_audience(f, path, problems),
    )


def _audience(f: Fields, path: Any, problems: Problems) -> tuple[str, ...]:
    raw = f.node.get("audience")
    if raw is None or raw == "certified":
        return ()
    if isinstance(raw, str):
        f.error("audience", f"audience must be 'certified' or a mapping with cohorts, got {raw!r}")
        return ()
    audience = Fields(raw, path, problems, "drill audience", f.line("audience"))
    if not audience.ok:
        return ()
    audience.allow_only(AUDIENCE_KEYS)
    names = tuple(name.strip() for name in audience.strings("cohorts", required=True))
    if not names or any(not name for name in names):
        audience.error("cohorts", "cohorts must list cohort names")
    node = audience.node.get("cohorts")
    if isinstance(node, Seq) and len(set(names)) != len(names):
        audience.error("cohorts", "a cohort is listed twice")
    return names
