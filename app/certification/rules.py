"""Sign-off rules, certificate settings and the acknowledgment text, read from curriculum/."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.content.errors import Problems
from app.content.markdown_render import render_markdown
from app.content.programme import check_id, read_front_matter
from app.content.yamlfile import Fields, Node, Seq

if TYPE_CHECKING:
    from app.config import Settings
    from app.content.catalog import Catalog

ITEM_KINDS = ("days", "assessment", "labs", "exam", "attestation", "acknowledgment")
ATTESTATION_KINDS = ("shadow_shift", "incident_response")
# Evidence that can be earned again for a new certification cycle (it carries a date).
RENEWABLE_KINDS = ("attestation", "acknowledgment")
ITEM_KEYS = ("id", "kind", "title", "description", "days", "labs", "lab", "attestation", "count")
SIGNOFF_KEYS = ("items", "renew")
CERTIFICATE_KEYS = ("validity_months", "issuer", "badge")
ISSUER_KEYS = ("name", "url", "email")
BADGE_KEYS = ("name", "description", "criteria")
ACKNOWLEDGMENT_KEYS = ("id", "title", "version")
ACKNOWLEDGMENT_FILE = "acknowledgment.md"


@dataclass(frozen=True)
class SignoffItem:
    """One line of the sign-off checklist and what satisfies it."""

    id: str
    kind: str
    title: str
    description: str = ""
    day_ids: tuple[str, ...] = ()
    lab_slugs: tuple[str, ...] = ()
    attestation: str = ""
    count: int = 1
    renew: bool = False


@dataclass(frozen=True)
class Acknowledgment:
    """The versioned training acknowledgment a trainee signs."""

    id: str
    title: str
    version: str
    text: str
    html: str
    sha256: str


@dataclass(frozen=True)
class Issuer:
    """Who issues the certificate (the Open Badges issuer profile)."""

    name: str
    url: str
    email: str


@dataclass(frozen=True)
class Badge:
    """The Open Badges badge class every certificate of the programme asserts."""

    name: str
    description: str
    criteria: str


@dataclass(frozen=True)
class SignoffRules:
    """The checklist, certificate settings and acknowledgment of the programme."""

    items: tuple[SignoffItem, ...]
    validity_months: int
    issuer: Issuer
    badge: Badge
    acknowledgment: Acknowledgment | None

    def item(self, item_id: str) -> SignoffItem | None:
        """Return a checklist item by id."""
        return next((i for i in self.items if i.id == item_id), None)

    @property
    def lab_slugs(self) -> tuple[str, ...]:
        """Return every lab the checklist requires, in checklist order."""
        return tuple(slug for item in self.items if item.kind == "labs" for slug in item.lab_slugs)


def rules_of(catalog: Catalog) -> SignoffRules:
    """Return the catalog's sign-off rules (an empty checklist when the programme has none)."""
    rules = catalog.sections.get("signoff")
    if rules is None:
        raise LookupError("the sign-off section loader is not registered in SECTION_LOADERS")
    assert isinstance(rules, SignoffRules)
    return rules


def load_signoff(catalog: Catalog, settings: Settings, problems: Problems) -> None:
    """Parse `signoff:` and `certificate:` of programme.yaml and the acknowledgment text."""
    path = settings.content_dir / "programme.yaml"
    extra = catalog.programme.extra
    items: list[SignoffItem] = []
    if "signoff" in extra:
        items = _items(extra["signoff"], path, problems, catalog, settings)
    acknowledgment = None
    wanted = next((item for item in items if item.kind == "acknowledgment"), None)
    ack_path = settings.content_dir / ACKNOWLEDGMENT_FILE
    if ack_path.is_file():
        acknowledgment = load_acknowledgment(ack_path, problems)
    elif wanted is not None:
        line = extra["signoff"].line if isinstance(extra.get("signoff"), Node) else 1
        problems.add(
            path, line, f"the checklist item {wanted.id!r} needs curriculum/{ACKNOWLEDGMENT_FILE}"
        )
    certificate = Fields(extra.get("certificate", _empty(1)), path, problems, "certificate")
    certificate.allow_only(CERTIFICATE_KEYS)
    months = certificate.get("validity_months", int, settings.certificate_months)
    if not 1 <= months <= 120:
        certificate.error("validity_months", f"validity_months must be 1 to 120, got {months}")
    catalog.sections["signoff"] = SignoffRules(
        items=tuple(items),
        validity_months=months,
        issuer=_issuer(certificate, path, problems, settings),
        badge=_badge(certificate, path, problems, catalog),
        acknowledgment=acknowledgment,
    )


def load_acknowledgment(path: Path, problems: Problems) -> Acknowledgment | None:
    """Read the acknowledgment: front matter (id, title, version) and the text to sign."""
    found = read_front_matter(path, problems, "acknowledgment front matter")
    if found is None:
        return None
    fields, body = found
    fields.allow_only(ACKNOWLEDGMENT_KEYS)
    ack_id = fields.text("id", required=True)
    check_id(ack_id, fields, "id")
    version = fields.get("version", (str, int, float), "", required=True)
    text = body.replace("\r\n", "\n").strip() + "\n"
    if not body.strip():
        problems.add(path, 1, "the acknowledgment has no text after its front matter")
    return Acknowledgment(
        id=ack_id,
        title=fields.text("title", required=True),
        version=str(version),
        text=text,
        html=render_markdown(text),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _empty(line: int) -> Node:
    node = Node()
    node.line = line
    node.key_lines = {}
    return node


def _items(
    raw: Any, path: Path, problems: Problems, catalog: Catalog, settings: Settings
) -> list[SignoffItem]:
    signoff = Fields(raw, path, problems, "signoff")
    if not signoff.ok:
        return []
    signoff.allow_only(SIGNOFF_KEYS)
    renew = set(signoff.strings("renew"))
    seen: set[str] = set()

    def build(node: Any, line: int) -> SignoffItem | None:
        item = _item(node, line, path, problems, catalog, settings)
        if item is None:
            return None
        if item.id in seen:
            problems.add(path, line, f"checklist item id {item.id!r} is used twice")
        seen.add(item.id)
        return item

    items = signoff.items("items", build, required=True)
    by_id = {item.id: item for item in items}
    for item_id in sorted(renew):
        found = by_id.get(item_id)
        if found is None:
            signoff.error("renew", f"renew names {item_id!r}, which is not a checklist item")
        elif found.kind not in RENEWABLE_KINDS:
            signoff.error(
                "renew",
                f"{item_id!r} cannot be renewed: only "
                f"{' and '.join(RENEWABLE_KINDS)} items carry dates",
            )
    return [replace(item, renew=True) if item.id in renew else item for item in items]


def _item(
    node: Any, line: int, path: Path, problems: Problems, catalog: Catalog, settings: Settings
) -> SignoffItem | None:
    f = Fields(node, path, problems, "checklist item", line)
    if not f.ok:
        return None
    f.allow_only(ITEM_KEYS)
    item_id = f.text("id", required=True)
    check_id(item_id, f, "id")
    kind = f.text("kind", required=True)
    if kind and kind not in ITEM_KINDS:
        f.error("kind", f"kind must be one of {', '.join(ITEM_KINDS)}, got {kind!r}")
        return None
    day_ids: tuple[str, ...] = ()
    lab_slugs: tuple[str, ...] = ()
    attestation = ""
    count = 1
    if kind == "days":
        day_ids = _days(f, catalog)
    elif kind == "labs":
        lab_slugs = tuple(f.strings("labs", required=True))
        if not lab_slugs:
            f.error("labs", "a labs item must list at least one lab")
        known = catalog.sections.get("labs", {})
        raw = f.node.get("labs")
        lines = raw.item_lines if isinstance(raw, Seq) else []
        for index, slug in enumerate(lab_slugs):
            if slug not in known and not (settings.labs_dir / slug / "lab.yaml").is_file():
                line = lines[index] if index < len(lines) else f.line("labs")
                problems.add(path, line, f"lab {slug!r} does not exist in labs/")
        if len(set(lab_slugs)) != len(lab_slugs):
            f.error("labs", "a lab is listed twice")
    elif kind == "exam":
        slug = f.text("lab", required=True)
        known = catalog.sections.get("labs", {})
        lab = known.get(slug)
        if slug and lab is None and not (settings.labs_dir / slug / "lab.yaml").is_file():
            f.error("lab", f"lab {slug!r} does not exist in labs/")
        elif lab is not None and not getattr(lab, "is_exam", False):
            f.error("lab", f"lab {slug!r} is not an exam (its lab.yaml has no exam: key)")
        lab_slugs = (slug,) if slug else ()
    elif kind == "attestation":
        attestation = f.text("attestation", required=True)
        if attestation and attestation not in ATTESTATION_KINDS:
            f.error("attestation", f"attestation must be one of {', '.join(ATTESTATION_KINDS)}")
        count = f.get("count", int, 1)
        if count < 1:
            f.error("count", f"count must be at least 1, got {count}")
    for key in ("days", "labs", "lab", "attestation", "count"):
        if key in f.node and not _uses(kind, key):
            f.error(key, f"{key!r} does not apply to a {kind} item")
    return SignoffItem(
        id=item_id,
        kind=kind,
        title=f.text("title", required=True),
        description=f.text("description"),
        day_ids=day_ids,
        lab_slugs=lab_slugs,
        attestation=attestation,
        count=count,
    )


def _uses(kind: str, key: str) -> bool:
    uses = {
        "days": "days",
        "labs": "labs",
        "lab": "exam",
        "attestation": "attestation",
        "count": "attestation",
    }
    return uses[key] == kind


def _days(f: Fields, catalog: Catalog) -> tuple[str, ...]:
    all_days = tuple(day.id for day in catalog.days)
    raw = f.node.get("days", "all")
    if raw == "all":
        return all_days
    if not isinstance(raw, list):
        f.error("days", "days must be 'all' or a list of day ids")
        return all_days
    chosen = tuple(f.strings("days"))
    for day_id in chosen:
        if day_id not in all_days:
            f.error("days", f"day {day_id!r} is not in the programme")
    return chosen


def _issuer(certificate: Fields, path: Path, problems: Problems, settings: Settings) -> Issuer:
    raw = certificate.node.get("issuer", _empty(certificate.line("issuer")))
    f = Fields(raw, path, problems, "certificate issuer", certificate.line("issuer"))
    f.allow_only(ISSUER_KEYS)
    email = f.text("email", settings.smtp_sender)
    if "@" not in email:
        f.error("email", f"issuer email {email!r} is not an e-mail address")
    url = f.text("url", settings.base_url)
    if not url.startswith(("http://", "https://")):
        f.error("url", f"issuer url {url!r} must start with http:// or https://")
    return Issuer(name=f.text("name", required=True), url=url.rstrip("/"), email=email)


def _badge(certificate: Fields, path: Path, problems: Problems, catalog: Catalog) -> Badge:
    raw = certificate.node.get("badge", _empty(certificate.line("badge")))
    f = Fields(raw, path, problems, "certificate badge", certificate.line("badge"))
    f.allow_only(BADGE_KEYS)
    return Badge(
        name=f.text("name", catalog.programme.title),
        description=f.text("description", catalog.programme.summary),
        criteria=f.text("criteria", required=True),
    )
