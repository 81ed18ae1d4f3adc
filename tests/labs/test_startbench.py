"""`academy bench labs`: how it recognises the prompt and sums up its starts (the run itself
needs Docker and is reported in docs/architecture.md)."""

from __future__ import annotations

from app.labs.startbench import PROMPT, LabsBench, StartTiming


def test_the_prompt_is_the_end_of_a_shell_prompt():
    assert PROMPT.search(b"\x1b[?2004himpactlink@impactlink-prod:~$ ")
    assert PROMPT.search(b"root@impactlink-prod:/# ")
    assert PROMPT.search(b"impactlink@impactlink-prod:~$ \x1b[?2004h")
    assert not PROMPT.search(b"Last login: today\r\n")
    assert not PROMPT.search(b"costs $5 today")


def test_figures_are_of_pooled_starts_and_cold_ones_are_listed_apart():
    bench = LabsBench(["a", "b"], 2)
    bench.timings = [
        StartTiming("a", False, 9.0, 8.9, 1),
        StartTiming("a", True, 0.2, 0.1, 2),
        StartTiming("a", True, 0.4, 0.3, 3),
        StartTiming("b", True, 0.3, 0.2, 4),
        StartTiming("b", True, 1.0, 0.9, 5),
    ]
    figures = bench.as_json()
    assert figures["pooled_starts"] == 4
    assert figures["start_to_prompt_p50_s"] == 0.35
    assert figures["start_to_prompt_max_s"] == 1.0
    assert 0.4 < figures["start_to_prompt_p95_s"] <= 1.0
    assert figures["cold_start_to_prompt_s"] == [9.0]
    assert figures["per_lab"]["a"]["pooled_starts"] == 2
    assert figures["per_lab"]["b"]["start_to_prompt_p50_s"] == 0.65
    assert "p50 0.35 s" in bench.report()
