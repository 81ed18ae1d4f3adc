"""Reads and validates one lab folder: every mistake is recorded with its file and line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from app.content.errors import Problems
from app.content.labs import (
    BUILTIN_VALUES,
    FORGERY_CLASSES,
    Check,
    ExamRules,
    ExpectRule,
    Forgery,
    Host,
    Lab,
    Script,
    Step,
    Tab,
    Task,
    ValueSpec,
)
from app.content.markdown_render import render_markdown
from app.content.programme import ID_PATTERN, check_id
from app.content.yamlfile import Fields, Node, read

CHECK_KINDS = ("probe", "shell", "sql", "http", "file", "answer", "updates")
RULE_OPS = ("equals", "not_equals", "contains", "not_contains", "matches", "min", "max")
# Rules on the text of status updates (`updates` checks).
TEXT_RULE_OPS = ("contains", "not_contains", "matches", "names")
MAX_UPDATE_MINUTES = 480
MAX_TRIES_LIMIT = 20
# Tabs (services shown through the platform's proxy): how many, and what a path may be.
MAX_TABS = 6
TAB_PATH = re.compile(r"^/(?!/)[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")
VALUE_KINDS = ("token", "int", "choice")
COMPARES = ("exact", "ci", "number")
VALUE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")

LAB_KEYS = (
    "id", "title", "day", "signoff_task", "summary", "intro", "intro_file", "time_limit_minutes",
    "continuous", "hosts", "values", "setup", "solve", "cleanup", "tasks",
    "exam", "tabs",
)  # fmt: skip
EXAM_KEYS = ("attempts", "cooldown_hours", "record")
TASK_KEYS = ("id", "title", "instructions", "instructions_file", "hints", "checks", "reset")
STEP_KEYS = ("host", "script", "run", "user", "timeout")
COMMON_CHECK_KEYS = ("id", "kind", "host", "timeout", "title", "message")
CHECK_KEYS = {
    "probe": ("script", "run", "inputs", "expect", "tamper_scan"),
    "shell": ("script", "run", "user", "inputs"),
    "sql": ("query", "database", "expect", "expect_rows"),
    "http": ("url", "method", "status", "body_contains", "body_not_contains"),
    "file": ("path", "exists", "contains", "not_contains", "mode", "owner"),
    "answer": (
        "question",
        "compute",
        "expect_value",
        "compare",
        "tolerance",
        "max_tries",
        "inputs",
    ),
    "updates": ("first_within", "every", "each", "resolved", "after"),
}


class LabReader:
    """Reads one lab folder, recording every problem with its file and line."""

    def __init__(self, folder: Path, problems: Problems) -> None:
        self.folder = folder
        self.path = folder / "lab.yaml"
        self.problems = problems
        self.host_names: set[str] = set()
        self.value_names: set[str] = set(BUILTIN_VALUES)
        self.check_ids: set[str] = set()

    def read(self) -> Lab | None:
        if not self.path.is_file():
            self.problems.add(self.folder, 1, f"lab folder {self.folder.name!r} has no lab.yaml")
            return None
        fields = Fields(read(self.path, self.problems), self.path, self.problems, "lab")
        if not fields.ok:
            return None
        fields.allow_only(LAB_KEYS)
        lab_id = fields.text("id", required=True)
        check_id(lab_id, fields, "id")
        if lab_id and lab_id != self.folder.name:
            fields.error("id", f"lab id {lab_id!r} must equal its folder name {self.folder.name!r}")
        limit = fields.get("time_limit_minutes", int, 60)
        if not 5 <= limit <= 480:
            fields.error("time_limit_minutes", f"time_limit_minutes must be 5..480, got {limit}")
        hosts = fields.items("hosts", self._host, required=True)
        if not hosts:
            fields.error("hosts", "a lab needs at least one host")
        values = self._values(fields)
        tasks = fields.items("tasks", self._task, required=True)
        if not tasks:
            fields.error("tasks", "a lab needs at least one task")
        seen: set[str] = set()
        for task, line in zip(tasks, self._item_lines(fields, "tasks"), strict=False):
            if task.id in seen:
                self.problems.add(self.path, line, f"task id {task.id!r} is used twice")
            seen.add(task.id)
        for task, line in zip(tasks, self._item_lines(fields, "tasks"), strict=False):
            for check in task.checks:
                unknown = [t for t in check.after if t not in seen or t == task.id]
                if unknown:
                    self.problems.add(
                        self.path,
                        line,
                        f"check {check.id!r}: after must name other tasks of this lab; "
                        f"unknown: {', '.join(unknown)}",
                    )
        return Lab(
            id=lab_id,
            title=fields.text("title", required=True),
            day_id=fields.text("day", required=True),
            signoff_task=fields.text("signoff_task", required=True),
            summary=fields.text("summary"),
            intro_html=self._markdown(fields, "intro", "intro_file", required=False),
            time_limit_minutes=limit,
            continuous=fields.get("continuous", bool, True),
            hosts=tuple(hosts),
            values=tuple(values),
            setup=tuple(fields.items("setup", self._step)),
            solve=tuple(fields.items("solve", self._step, required=True)),
            cleanup=tuple(fields.items("cleanup", self._step)),
            tasks=tuple(tasks),
            folder=self.folder,
            forgeries=self._forgeries(seen),
            exam=self._exam(fields, tasks),
            tabs=self._tabs(fields),
        )

    def _exam(self, fields: Fields, tasks: list[Task]) -> ExamRules | None:
        """Read `exam:` (attempts, cooldown_hours, record); an exam's tasks may have no hints."""
        if "exam" not in fields.node:
            return None
        f = Fields(fields.node["exam"], self.path, self.problems, "exam", fields.line("exam"))
        if not f.ok:
            return None
        f.allow_only(EXAM_KEYS)
        attempts = f.get("attempts", int, 2)
        if not 1 <= attempts <= 10:
            f.error("attempts", f"attempts must be 1..10, got {attempts}")
        cooldown = f.get("cooldown_hours", int, 24)
        if not 0 <= cooldown <= 720:
            f.error("cooldown_hours", f"cooldown_hours must be 0..720, got {cooldown}")
        for task, line in zip(tasks, self._item_lines(fields, "tasks"), strict=False):
            if task.hints:
                self.problems.add(self.path, line, f"task {task.id!r} of an exam has hints")
        return ExamRules(
            attempts=attempts, cooldown_hours=cooldown, record=f.get("record", bool, True)
        )

    def _forgeries(self, task_ids: set[str]) -> tuple[Forgery, ...]:
        """Read labs/<slug>/forgeries/*.sh with their header (forgery, class, targets, and
        optionally host: where it runs, the lab's first host by default)."""
        folder = self.folder / "forgeries"
        if not folder.is_dir():
            return ()
        found = []
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.is_dir():
                continue
            if path.suffix != ".sh":
                self.problems.add(path, 1, "a forgery must be a bash script ending in .sh")
                continue
            text = path.read_text(encoding="utf-8")
            header: dict[str, tuple[int, str]] = {}
            for number, row in enumerate(text.splitlines()[:20], start=1):
                match = re.match(r"^#\s*(forgery|class|targets|host):\s*(.*?)\s*$", row)
                if match:
                    header[match.group(1)] = (number, match.group(2))
            missing = [key for key in ("forgery", "class", "targets") if key not in header]
            if missing:
                self.problems.add(
                    path, 1, f"forgery header lacks {', '.join(f'# {k}:' for k in missing)}"
                )
                continue
            line, kind = header["class"]
            if kind not in FORGERY_CLASSES:
                self.problems.add(
                    path, line, f"class must be one of {', '.join(FORGERY_CLASSES)}, got {kind!r}"
                )
            line, raw_targets = header["targets"]
            targets = tuple(t for t in re.split(r"[\s,]+", raw_targets) if t)
            unknown = [t for t in targets if t not in task_ids]
            if not targets or unknown:
                self.problems.add(
                    path, line, f"targets must name tasks of this lab; unknown: {unknown or '-'}"
                )
            host = ""
            if "host" in header:
                line, host = header["host"]
                if host not in self.host_names:
                    self.problems.add(
                        path,
                        line,
                        f"host {host!r} is not one of this lab's hosts "
                        f"({', '.join(sorted(self.host_names))})",
                    )
            relative = str(path.relative_to(self.folder))
            found.append(
                Forgery(
                    name=path.stem,
                    description=header["forgery"][1],
                    kind=kind,
                    targets=targets,
                    script=Script(source=relative, text=text),
                    host=host,
                )
            )
        return tuple(found)

    def _tabs(self, fields: Fields) -> tuple[Tab, ...]:
        """Read `tabs:`, the services the lab page shows through the platform's proxy."""
        tabs = fields.items("tabs", self._tab)
        if len(tabs) > MAX_TABS:
            fields.error("tabs", f"a lab may show at most {MAX_TABS} tabs, got {len(tabs)}")
        seen: set[str] = set()
        for tab, line in zip(tabs, self._item_lines(fields, "tabs"), strict=False):
            if tab.title.lower() in seen:
                self.problems.add(self.path, line, f"tab title {tab.title!r} is used twice")
            seen.add(tab.title.lower())
        return tuple(tabs)

    def _tab(self, item: Any, line: int) -> Tab | None:
        f = Fields(item, self.path, self.problems, "tab", line)
        if not f.ok:
            return None
        f.allow_only(("title", "host", "port", "scheme", "path"))
        title = f.text("title", required=True)
        if title and not 1 <= len(title) <= 30:
            f.error("title", f"a tab title is 1 to 30 characters, got {len(title)}")
        host = f.text("host", required=True)
        if host and host not in self.host_names:
            f.error(
                "host",
                f"host {host!r} is not one of the lab's hosts "
                f"({', '.join(sorted(self.host_names))})",
            )
        port = f.get("port", int, 0, required=True)
        if not 1 <= port <= 65535:
            f.error("port", f"port must be 1..65535, got {port}")
        scheme = f.text("scheme") or "http"
        if scheme not in ("http", "https"):
            f.error("scheme", f"scheme must be http or https, got {scheme!r}")
        path = f.text("path") or "/"
        if not TAB_PATH.match(path):
            f.error("path", f"path must be a path on the host such as /status, got {path!r}")
        return Tab(title=title, host=host, port=port, scheme=scheme, path=path)

    @staticmethod
    def _item_lines(fields: Fields, key: str) -> list[int]:
        return list(getattr(fields.node.get(key), "item_lines", []))

    def _host(self, item: Any, line: int) -> Host | None:
        f = Fields(item, self.path, self.problems, "host", line)
        if not f.ok:
            return None
        f.allow_only(("name", "image", "hostname", "net_admin"))
        name = f.text("name", required=True)
        check_id(name, f, "name")
        if name in self.host_names:
            f.error("name", f"host name {name!r} is used twice")
        self.host_names.add(name)
        return Host(
            name=name,
            image=f.text("image", required=True),
            hostname=f.text("hostname") or name,
            net_admin=bool(f.get("net_admin", bool, False)),
        )

    def _values(self, fields: Fields) -> list[ValueSpec]:
        raw = fields.get("values", Node, Node())
        specs: list[ValueSpec] = []
        for name, spec in raw.items():
            line = raw.line_of(name)
            if not VALUE_NAME.match(name) or name in BUILTIN_VALUES:
                self.problems.add(
                    self.path,
                    line,
                    f"value name {name!r} must be lowercase letters, digits and _"
                    f" (and not one of {', '.join(BUILTIN_VALUES)})",
                )
                continue
            f = Fields(spec, self.path, self.problems, f"value {name!r}", line)
            if not f.ok:
                continue
            f.allow_only(("kind", "length", "min", "max", "options"))
            kind = f.text("kind", required=True)
            if kind not in VALUE_KINDS:
                f.error("kind", f"value kind must be one of {', '.join(VALUE_KINDS)}, got {kind!r}")
                continue
            value = ValueSpec(name=name, kind=kind)
            if kind == "token":
                length = f.get("length", int, 12)
                if not 4 <= length <= 64:
                    f.error("length", f"token length must be 4..64, got {length}")
                value = ValueSpec(name=name, kind=kind, length=length)
            elif kind == "int":
                low, high = f.get("min", int, 0, required=True), f.get("max", int, 0, required=True)
                if low > high:
                    f.error("min", f"min {low} is above max {high}")
                value = ValueSpec(name=name, kind=kind, minimum=low, maximum=high)
            else:
                options = [str(o) for o in f.get("options", list, [], required=True)]
                if not options:
                    f.error("options", "a choice needs at least one option")
                value = ValueSpec(name=name, kind=kind, options=tuple(options))
            self.value_names.add(name)
            specs.append(value)
        return specs

    def _script(
        self, f: Fields, file_key: str, inline_key: str | None, *, required: bool
    ) -> Script | None:
        has_file = file_key in f.node
        has_inline = inline_key is not None and inline_key in f.node
        if has_file and has_inline:
            f.error(inline_key, f"give either {file_key!r} or {inline_key!r}, not both")
            return None
        if has_inline and inline_key is not None:
            text = f.text(inline_key, required=True)
            return Script(source=f"lab.yaml:{f.line(inline_key)}", text=text)
        if not has_file:
            if required:
                wanted = f"{file_key!r}" + (f" or {inline_key!r}" if inline_key else "")
                f.error(None, f"{f.what} needs {wanted}")
            return None
        relative = f.text(file_key, required=True)
        target = (self.folder / relative).resolve()
        if not target.is_relative_to(self.folder.resolve()):
            f.error(file_key, f"script {relative!r} must be inside the lab folder")
            return None
        if not target.is_file():
            f.error(file_key, f"script {relative!r} does not exist")
            return None
        return Script(source=relative, text=target.read_text(encoding="utf-8"))

    def _common(self, f: Fields, default_timeout: int) -> tuple[str, int]:
        host = f.text("host", required=True)
        if host and host not in self.host_names:
            f.error(
                "host",
                f"host {host!r} is not one of the lab's hosts "
                f"({', '.join(sorted(self.host_names))})",
            )
        timeout = f.get("timeout", int, default_timeout)
        if not 1 <= timeout <= 1800:
            f.error("timeout", f"timeout must be 1..1800 seconds, got {timeout}")
        return host, timeout

    def _step(self, item: Any, line: int) -> Step | None:
        f = Fields(item, self.path, self.problems, "step", line)
        if not f.ok:
            return None
        f.allow_only(STEP_KEYS)
        host, timeout = self._common(f, 300)
        script = self._script(f, "script", "run", required=True)
        if script is None:
            return None
        return Step(host=host, script=script, user=f.text("user") or "root", timeout=timeout)

    def _markdown(self, f: Fields, inline_key: str, file_key: str, *, required: bool) -> str:
        if inline_key in f.node and file_key in f.node:
            f.error(file_key, f"give either {inline_key!r} or {file_key!r}, not both")
        if file_key in f.node:
            script = self._script(f, file_key, None, required=True)
            return render_markdown(script.text) if script else ""
        text = f.text(inline_key, required=required)
        return render_markdown(text) if text else ""

    def _task(self, item: Any, line: int) -> Task | None:
        f = Fields(item, self.path, self.problems, "task", line)
        if not f.ok:
            return None
        f.allow_only(TASK_KEYS)
        task_id = f.text("id", required=True)
        check_id(task_id, f, "id")
        if "instructions" not in f.node and "instructions_file" not in f.node:
            f.error(None, "a task needs 'instructions' or 'instructions_file'")
        checks = f.items("checks", lambda node, at: self._check(node, at, task_id), required=True)
        if not checks:
            f.error("checks", f"task {task_id!r} needs at least one check")
        return Task(
            id=task_id,
            title=f.text("title", required=True),
            instructions_html=self._markdown(
                f, "instructions", "instructions_file", required=False
            ),
            hints=tuple(f.strings("hints")),
            checks=tuple(checks),
            reset=tuple(f.items("reset", self._step)),
        )

    def _placeholders(self, f: Fields, key: str, *texts: str | None) -> None:
        for text in texts:
            for name in PLACEHOLDER.findall(text or ""):
                if name not in self.value_names:
                    f.error(key, f"placeholder {{{name}}} is not one of the lab's values")

    def _check(self, item: Any, line: int, task_id: str) -> Check | None:
        f = Fields(item, self.path, self.problems, "check", line)
        if not f.ok:
            return None
        kind = f.text("kind", required=True)
        if kind not in CHECK_KINDS:
            f.error("kind", f"check kind must be one of {', '.join(CHECK_KINDS)}, got {kind!r}")
            return None
        f.allow_only(COMMON_CHECK_KEYS + CHECK_KEYS[kind])
        check_id_ = f.text("id", required=True)
        if check_id_ and not ID_PATTERN.match(check_id_):
            f.error("id", f"check id {check_id_!r} must be lowercase letters, digits and dashes")
        if check_id_ in self.check_ids:
            f.error("id", f"check id {check_id_!r} is used twice in this lab")
        self.check_ids.add(check_id_)
        if kind == "updates":  # judged on the platform: no host
            host, timeout = "", f.get("timeout", int, 30)
        else:
            host, timeout = self._common(f, 30)
        base: dict[str, Any] = {
            "id": check_id_, "task_id": task_id, "kind": kind, "host": host, "timeout": timeout,
            "title": f.text("title") or check_id_.replace("-", " ").capitalize(),
            "message": f.text("message"),
        }  # fmt: skip
        self._no_placeholders(f, "message", base["message"])
        if kind == "updates":
            return self._updates_check(f, base)
        if kind == "probe":
            return Check(
                **base,
                script=self._script(f, "script", "run", required=True),
                inputs=self._inputs(f),
                rules=self._rules(f),
                tamper_scan=f.get("tamper_scan", bool, True),
            )
        if kind == "shell":
            return Check(
                **base,
                script=self._script(f, "script", "run", required=True),
                user=f.text("user") or "root",
                inputs=self._inputs(f),
            )
        if kind == "sql":
            query, expect = f.text("query", required=True), f.get("expect", (str, int, float))
            rows = f.get("expect_rows", int)
            if (expect is None) == (rows is None):
                f.error(None, "a sql check needs exactly one of 'expect' or 'expect_rows'")
            self._placeholders(f, "query", query, None if expect is None else str(expect))
            return Check(
                **base, query=query, database=f.text("database") or "impactlink_prod",
                expect=None if expect is None else str(expect), expect_rows=rows,
            )  # fmt: skip
        if kind == "http":
            url, contains = f.text("url", required=True), tuple(f.strings("body_contains"))
            not_contains = tuple(f.strings("body_not_contains"))
            self._placeholders(f, "url", url, *contains, *not_contains)
            status = f.get("status", int)
            if status is None and not contains and not not_contains:
                f.error(
                    None, "an http check needs 'status', 'body_contains' or 'body_not_contains'"
                )
            return Check(
                **base, url=url, method=(f.text("method") or "GET").upper(), status=status,
                body_contains=contains, body_not_contains=not_contains,
            )  # fmt: skip
        if kind == "file":
            path, contains = f.text("path", required=True), tuple(f.strings("contains"))
            not_contains = tuple(f.strings("not_contains"))
            self._placeholders(f, "path", path, *contains, *not_contains)
            mode = f.get("mode", str)
            if mode is not None and not re.fullmatch(r"0?[0-7]{3,4}", mode):
                f.error("mode", f'mode must be octal text such as "0600", got {mode!r}')
            return Check(
                **base, path=path, exists=f.get("exists", bool, True), contains=contains,
                not_contains=not_contains, mode=mode, owner=f.get("owner", str),
            )  # fmt: skip
        compare = f.text("compare") or "exact"
        if compare not in COMPARES:
            f.error("compare", f"compare must be one of {', '.join(COMPARES)}, got {compare!r}")
        expect_value = f.get("expect_value", (str, int))
        if (expect_value is None) == ("compute" not in f.node):
            f.error(None, "an answer check needs exactly one of 'compute' or 'expect_value'")
        if expect_value is not None:
            self._placeholders(f, "expect_value", str(expect_value))
        max_tries = f.get("max_tries", int, 3)
        if not 1 <= max_tries <= MAX_TRIES_LIMIT:
            f.error("max_tries", f"max_tries must be 1..{MAX_TRIES_LIMIT}, got {max_tries}")
        return Check(
            **base, question=f.text("question", required=True),
            script=self._script(f, "compute", None, required=False), compare=compare,
            tolerance=float(f.get("tolerance", (int, float), 0.0)), inputs=self._inputs(f),
            max_tries=max_tries,
            expect_value=None if expect_value is None else str(expect_value),
        )  # fmt: skip

    def _updates_check(self, f: Fields, base: dict[str, Any]) -> Check:
        """Read an `updates` check: cadence in minutes, text rules, the tasks it waits for."""
        first_within = f.get("first_within", int, 0, required=True)
        every = f.get("every", int, 0, required=True)
        for key, minutes in (("first_within", first_within), ("every", every)):
            if key in f.node and not 1 <= minutes <= MAX_UPDATE_MINUTES:
                f.error(key, f"{key} must be 1..{MAX_UPDATE_MINUTES} minutes, got {minutes}")
        after = tuple(str(t) for t in f.get("after", list, []))
        return Check(
            **base,
            first_within=first_within,
            every=every,
            rules=self._text_rules(f, "each"),
            resolved_rules=self._text_rules(f, "resolved"),
            after=after,
        )

    def _text_rules(self, f: Fields, key: str) -> tuple[ExpectRule, ...]:
        """Read rules on an update's text: {contains|not_contains|matches|names: …, message}."""
        raw = f.node.get(key)
        if raw is None:
            return ()
        if not isinstance(raw, list):
            f.error(key, f"{key} must be a list of rules such as {{contains: text, message: …}}")
            return ()
        lines = list(getattr(raw, "item_lines", [])) or [f.line(key)] * len(raw)
        rules: list[ExpectRule] = []
        for item, line in zip(raw, lines, strict=False):
            r = Fields(item, self.path, self.problems, f"{key} rule", line)
            if not r.ok:
                continue
            r.allow_only(("message", "among", *TEXT_RULE_OPS))
            ops = [op for op in TEXT_RULE_OPS if op in r.node]
            if len(ops) != 1:
                r.error(None, f"a {key} rule needs exactly one of {', '.join(TEXT_RULE_OPS)}")
                continue
            op = ops[0]
            value = str(r.get(op, (str, int, float)))
            if op == "matches":
                try:
                    re.compile(value)
                except re.error as error:
                    r.error(op, f"matches is not a valid regular expression: {error}")
            among = tuple(str(a) for a in r.get("among", list, []))
            if op == "names" and not among:
                r.error(None, "a names rule needs 'among': the names it must be the only one of")
            if op != "names" and among:
                r.error("among", "'among' belongs to a names rule")
            self._placeholders(r, op, value, *among)
            message = r.text("message", required=True)
            self._no_placeholders(r, "message", message)
            rules.append(
                ExpectRule(obs="text", op=op, value=value, message=message, line=line, among=among)
            )
        return tuple(rules)

    def _no_placeholders(self, f: Fields, key: str, text: str) -> None:
        # What the trainee reads may not carry a drawn value: a message is static text.
        for name in PLACEHOLDER.findall(text or ""):
            f.error(key, f"a message may not show a value ({{{name}}}): describe the symptom")

    def _inputs(self, f: Fields) -> tuple[str, ...]:
        names = tuple(str(n) for n in f.get("inputs", list, []))
        for name in names:
            if name not in self.value_names or name in BUILTIN_VALUES:
                f.error("inputs", f"input {name!r} is not one of the lab's values")
        return names

    def _rules(self, f: Fields) -> tuple[ExpectRule, ...]:
        raw = f.node.get("expect")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            f.error("expect", "expect must be a list of rules such as {obs: name, equals: value}")
            return ()
        lines = list(getattr(raw, "item_lines", [])) or [f.line("expect")] * len(raw)
        rules: list[ExpectRule] = []
        for item, line in zip(raw, lines, strict=False):
            r = Fields(item, self.path, self.problems, "expect rule", line)
            if not r.ok:
                continue
            r.allow_only(("obs", "message", *RULE_OPS))
            ops = [op for op in RULE_OPS if op in r.node]
            if len(ops) != 1:
                r.error(None, f"an expect rule needs exactly one of {', '.join(RULE_OPS)}")
                continue
            op = ops[0]
            value = str(r.get(op, (str, int, float)))
            if op in ("min", "max"):
                try:
                    float(value)
                except ValueError:
                    r.error(op, f"{op} needs a number, got {value!r}")
            if op == "matches":
                try:
                    re.compile(value)
                except re.error as error:
                    r.error(op, f"matches is not a valid regular expression: {error}")
            self._placeholders(r, op, value)
            message = r.text("message", required=True)
            self._no_placeholders(r, "message", message)
            obs = r.text("obs", required=True)
            if obs and not re.fullmatch(r"[a-z0-9_]+", obs):
                r.error("obs", f"observation name {obs!r} must be lowercase letters, digits and _")
            rules.append(ExpectRule(obs=obs, op=op, value=value, message=message, line=line))
        return tuple(rules)
