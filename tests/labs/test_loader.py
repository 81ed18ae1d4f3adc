"""The lab format: what loads, and every mistake reported with its file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.content.errors import ContentError, Problems
from app.content.labs import labs_of, read_lab
from app.labs.values import draw_values, fill, fill_html, script_env
from tests.labs.conftest import CONTENT, build_catalog, real_lab, real_lab_slugs


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A private copy of the probe content, free to break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in a content file (the text must be there)."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def problems_of(content: Path) -> list[str]:
    """Load the content and return its problems as 'file:line: message' strings."""
    with pytest.raises(ContentError) as raised:
        build_catalog(content)
    return [str(p) for p in raised.value.problems]


def test_probe_lab_loads_with_every_part(probe_catalog):
    lab = labs_of(probe_catalog)["probe"]
    assert lab.title == "Probe every check kind"
    assert lab.day_id == "day-01"
    assert [h.name for h in lab.hosts] == ["prod"]
    assert [v.name for v in lab.values] == ["marker", "port", "flavour"]
    assert [t.id for t in lab.tasks] == ["make-file", "answer-port", "raise-flag"]
    kinds = {c.id: c.kind for c in lab.checks}
    assert kinds == {
        "marker-file": "file",
        "marker-shell": "shell",
        "port-answer": "answer",
        "db-answers": "sql",
        "health": "http",
        "flag-up": "probe",
    }
    flag = next(c for c in lab.checks if c.id == "flag-up")
    assert [(r.obs, r.op, r.value) for r in flag.rules] == [
        ("flag", "equals", "up"),
        ("owner", "equals", "impactlink"),
    ]
    assert flag.rules[0].message == "The flag is not up."
    assert flag.tamper_scan is True
    assert [(f.name, f.kind, f.targets) for f in lab.forgeries] == [
        ("guess-port", "answers", ("answer-port",)),
        ("raise-flag", "shallow", ("raise-flag",)),
    ]
    assert lab.tasks[0].reset[0].script.text.startswith("rm -f")
    assert lab.tasks[0].hints == ("Use echo.", "Redirect it with >.")
    check = next(c for c in lab.checks if c.id == "marker-shell")
    assert "FAIL:" in check.script.text
    assert check.timeout == 30
    assert lab.solve[0].user == "impactlink"
    assert "<code>{marker}</code>" in lab.intro_html


@pytest.mark.parametrize("slug", real_lab_slugs())
def test_every_project_lab_reads_cleanly(slug):
    lab = real_lab(slug)
    assert lab.id == slug
    assert lab.solve, f"{slug} has no reference solution"
    assert all(task.checks for task in lab.tasks)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "id: probe\n",
            "id: other\n",
            "lab.yaml:1: lab id 'other' must equal its folder name 'probe'",
        ),
        (
            "time_limit_minutes: 30",
            "time_limit_minutes: 3",
            "lab.yaml:8: time_limit_minutes must be 5..480",
        ),
        (
            "continuous: true\n",
            "continuous: true\ncolour: red\n",
            "lab.yaml:10: unknown key 'colour' in lab",
        ),
        (
            "    host: prod\n        path:",
            "    host: staging\n        path:",
            "lab.yaml:35: host 'staging' is not one of the lab's hosts",
        ),
        (
            "script: checks/marker.sh",
            "script: checks/nope.sh",
            "lab.yaml:42: script 'checks/nope.sh' does not exist",
        ),
        (
            "script: checks/marker.sh",
            "script: ../../../etc/passwd",
            "must be inside the lab folder",
        ),
        (
            "id: marker-shell",
            "id: marker-file",
            "lab.yaml:39: check id 'marker-file' is used twice in this lab",
        ),
        (
            "kind: shell",
            "kind: ssh",
            "lab.yaml:40: check kind must be one of probe, shell, sql, http, file, answer, "
            "updates, got 'ssh'",
        ),
        (
            "{kind: choice, options: [salt, pepper]}",
            "{kind: dice}",
            "lab.yaml:17: value kind must be one of token, int, choice",
        ),
        (
            "port: {kind: int, min: 5101, max: 5999}",
            "port: {kind: int, min: 9, max: 1}",
            "lab.yaml:16: min 9 is above max 1",
        ),
        (
            'contains: ["{marker}"]',
            'contains: ["{colour}"]',
            "placeholder {colour} is not one of the lab's values",
        ),
        ('        expect: "1"\n', "", "a sql check needs exactly one of 'expect' or 'expect_rows'"),
        (
            "compare: number",
            "compare: fuzzy",
            "lab.yaml:53: compare must be one of exact, ci, number",
        ),
        ("day: day-01\n", "day: day-09\n", "lab.yaml:3: day 'day-09' does not exist"),
        (
            "message: The flag is not up.}",
            'message: "The flag is not {marker}."}',
            "lab.yaml:75: a message may not show a value ({marker}): describe the symptom",
        ),
        (
            '{obs: flag, equals: "up",',
            '{obs: flag, near: "up",',
            "lab.yaml:75: an expect rule needs exactly one of equals, not_equals",
        ),
        ("inputs: [marker]", "inputs: [colour]", "input 'colour' is not one of the lab's values"),
        (
            "compute: checks/port.sh",
            "compute: checks/port.sh\n        expect_value: '{port}'",
            "an answer check needs exactly one of 'compute' or 'expect_value'",
        ),
        (
            "solve:\n  - {host: prod, script: solve.sh, user: impactlink}\n",
            "",
            "lab is missing required key 'solve'",
        ),
    ],
)
def test_mistakes_name_file_and_line(content, old, new, expected):
    edit(content / "labs" / "probe" / "lab.yaml", old, new)
    found = problems_of(content)
    assert any(expected in p and p.startswith("labs/probe/lab.yaml:") for p in found), found


def test_a_day_listing_a_missing_lab_is_reported_at_its_line(content):
    edit(
        content / "curriculum" / "day-01-probe" / "day.yaml",
        "  - probe\n",
        "  - probe\n  - ghost\n",
    )
    assert (
        "curriculum/day-01-probe/day.yaml:15: lab 'ghost' does not exist in labs/"
        in problems_of(content)
    )


def test_a_lab_its_day_does_not_list_is_reported(content):
    edit(content / "curriculum" / "day-01-probe" / "day.yaml", "labs:\n  - probe\n", "labs: []\n")
    assert any("does not list this lab under labs:" in p for p in problems_of(content))


def test_a_folder_without_lab_yaml_is_reported(content):
    (content / "labs" / "half-done").mkdir()
    assert any("lab folder 'half-done' has no lab.yaml" in p for p in problems_of(content))


def test_yaml_syntax_errors_name_the_line(content):
    edit(content / "labs" / "probe" / "lab.yaml", "summary: Touches", "summary: [Touches")
    assert any(
        p.startswith("labs/probe/lab.yaml:") and "invalid YAML" in p for p in problems_of(content)
    )


def test_read_lab_alone_collects_problems(tmp_path):
    folder = tmp_path / "empty-lab"
    folder.mkdir()
    (folder / "lab.yaml").write_text("id: empty-lab\ntitle: Empty\n")
    problems = Problems(tmp_path)
    read_lab(folder, problems)
    messages = [p.message for p in problems.items]
    assert "lab is missing required key 'hosts'" in messages
    assert "lab is missing required key 'tasks'" in messages


def test_values_are_drawn_from_the_seed_alone(probe):
    first = draw_values(probe.values, 99)
    assert first == draw_values(probe.values, 99)
    assert first != draw_values(probe.values, 100)
    assert len(first["marker"]) == 8
    assert first["marker"][0].isalpha()
    assert first["marker"].isalnum()
    assert first["marker"] == first["marker"].lower()
    assert 5001 <= first["port"] <= 5999
    assert first["flavour"] in ("salt", "pepper")
    many = {draw_values(probe.values, seed)["flavour"] for seed in range(50)}
    assert many == {"salt", "pepper"}


def test_scripts_get_lab_variables():
    env = script_env({"marker": "abc", "port": 5100}, "17", "prod")
    assert env == {"LAB_MARKER": "abc", "LAB_PORT": "5100", "LAB_SESSION": "17", "LAB_HOST": "prod"}


def test_placeholders_fill_text_and_escape_html():
    assert (
        fill("{marker}/{port}/{session}/{other}", {"marker": "x", "port": 1}, "9", "h")
        == "x/1/9/{other}"
    )
    html = fill_html("<code>{marker}</code>", {"marker": "<b>"}, "1", "prod")
    assert str(html) == "<code>&lt;b&gt;</code>"


def test_labs_list_names_every_lab(app, probe_catalog, monkeypatch):
    from app.labs.cli import labs

    monkeypatch.setitem(app.extensions, "academy.catalog", probe_catalog)
    result = app.test_cli_runner().invoke(labs, ["list"])
    assert result.exit_code == 0
    assert "probe" in result.output
    assert "6 check(s) [answer, file, http, probe, shell, sql]" in result.output


def test_forgery_headers_are_validated_with_file_and_line(content):
    folder = content / "labs" / "probe" / "forgeries"
    (folder / "bad-class.sh").write_text(
        "#!/bin/bash\n# forgery: x\n# class: lucky\n# targets: make-file\n"
    )
    (folder / "bad-target.sh").write_text(
        "#!/bin/bash\n# forgery: y\n# class: shallow\n# targets: no-such-task\n"
    )
    (folder / "no-header.sh").write_text("#!/bin/bash\necho hi\n")
    (folder / "bad-host.sh").write_text(
        "#!/bin/bash\n# forgery: z\n# class: shallow\n# host: backup\n# targets: make-file\n"
    )
    found = problems_of(content)
    assert any(
        p.startswith("labs/probe/forgeries/bad-host.sh:4: host 'backup' is not one of this lab's")
        for p in found
    ), found
    assert any(
        p.startswith("labs/probe/forgeries/bad-class.sh:3: class must be one of observer")
        for p in found
    ), found
    assert any(
        p.startswith("labs/probe/forgeries/bad-target.sh:4: targets must name tasks of this lab")
        for p in found
    ), found
    assert any(
        p.startswith("labs/probe/forgeries/no-header.sh:1: forgery header lacks # forgery:")
        for p in found
    ), found


def test_a_forgery_runs_on_the_host_its_header_names(content):
    folder = content / "labs" / "probe" / "forgeries"
    (folder / "on-prod.sh").write_text(
        "#!/bin/bash\n# forgery: z\n# class: shallow\n# host: prod\n# targets: make-file\n"
    )
    lab = labs_of(build_catalog(content))["probe"]
    hosts = {f.name: f.host for f in lab.forgeries}
    assert hosts["on-prod"] == "prod"
    assert hosts["guess-port"] == ""  # no header: the lab's first host
