"""The teacher's key and tokens (aelab.runtime.teacher) and the class roster (aelab.runtime.roster): a wrong key is
refused and counted, too many wrong keys make a client (or the server) wait even with the right one, a token is
not the key, expires after a school day and ends at Lock; display names are checked once and the default is
"Student N", one entry per browser."""
from __future__ import annotations

import pytest

from aelab.runtime.roster import MAX_NAME, ClassRoster, DisplayNameError, validate_name
from aelab.runtime.teacher import MAX_FAILURES, MAX_FAILURES_ALL, TOKEN_TTL_S, WINDOW_S, KeyRefused, TeacherGate

KEY = "correct horse battery staple"


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_right_key_gives_a_token_that_is_not_the_key_and_a_wrong_one_is_refused():
    gate = TeacherGate(KEY)
    with pytest.raises(KeyRefused, match="not the teacher key"):
        gate.unlock("ip-1", KEY + " ")
    token = gate.unlock("ip-1", KEY)
    assert gate.valid(token) and KEY not in token and token != gate.unlock("ip-1", KEY)
    assert not gate.valid(KEY) and not gate.valid("") and not gate.valid(None) and not gate.valid(token[:-1] + "#")


def test_a_server_without_a_key_or_with_a_short_one_has_no_teacher():
    for key in (None, "", "short"):
        gate = TeacherGate(key)
        assert not gate.enabled
        with pytest.raises(KeyRefused, match="no teacher key"):
            gate.unlock("ip-1", key or "anything")
    assert TeacherGate("short").short_key and not TeacherGate(None).short_key


def test_too_many_wrong_keys_make_the_client_wait_even_with_the_right_key():
    clock = Clock()
    gate = TeacherGate(KEY, clock=clock)
    for attempt in range(MAX_FAILURES):
        with pytest.raises(KeyRefused, match="not the teacher key"):
            gate.unlock("ip-1", f"guess {attempt}")
    with pytest.raises(KeyRefused, match="Too many wrong keys: try again in 60 s"):
        gate.unlock("ip-1", KEY)
    assert gate.valid(gate.unlock("ip-2", KEY))  # another client is not held up by this one
    clock.now += WINDOW_S + 1
    assert gate.valid(gate.unlock("ip-1", KEY))


def test_many_clients_together_are_limited_too():
    clock = Clock()
    gate = TeacherGate(KEY, clock=clock)
    for attempt in range(MAX_FAILURES_ALL):
        with pytest.raises(KeyRefused, match="not the teacher key"):
            gate.unlock(f"ip-{attempt}", "guess")
    with pytest.raises(KeyRefused, match="Too many wrong keys"):
        gate.unlock("ip-new", KEY)


def test_a_token_expires_after_a_school_day_and_lock_ends_it_at_once():
    clock = Clock()
    gate = TeacherGate(KEY, clock=clock)
    token, other = gate.unlock("ip-1", KEY), gate.unlock("ip-1", KEY)
    assert gate.expires_at(token) == clock.now + TOKEN_TTL_S and 8 * 3600 <= TOKEN_TTL_S <= 12 * 3600
    gate.lock(token)
    assert not gate.valid(token) and gate.valid(other)
    clock.now += TOKEN_TTL_S + 1
    assert not gate.valid(other)


def test_a_gate_keeps_no_key_or_token_in_the_clear():
    gate = TeacherGate(KEY)
    token = gate.unlock("ip-1", KEY)
    held = repr(vars(gate))
    assert KEY not in held and token not in held


# ------------------------------------------------------------------------------------------------ roster
@pytest.mark.parametrize("text, kept", [("  Ana   María ", "Ana María"), ("", None), ("   ", None),
                                        ("[x](http://e.vil) **b**", "[x](http://e.vil) **b**"),
                                        ("a" * MAX_NAME, "a" * MAX_NAME)])
def test_a_display_name_is_kept_as_plain_words(text, kept):
    assert validate_name(text) == kept  # (escaped where shown, not here)


@pytest.mark.parametrize("text, why", [("a" * (MAX_NAME + 1), "at most 40 characters; this one has 41"),
                                       ("Ana\u202egnp.exe", "no control or formatting"), ("A\x00B", "no control")])
def test_a_bad_display_name_is_refused_with_one_line(text, why):
    with pytest.raises(DisplayNameError, match=why):
        validate_name(text)


def test_one_entry_per_browser_numbered_as_they_come_with_an_optional_name():
    clock = Clock()
    roster = ClassRoster(clock=clock)
    roster.touch("browser-a")
    roster.touch("browser-b")
    roster.touch("browser-a")  # a reload of the same browser: no new entry
    roster.set_name("browser-b", "Ben")
    assert [(m.number, m.name) for m in roster.active()] == [(1, "Student 1"), (2, "Ben")]
    roster.set_name("browser-b", "")
    assert roster.get("browser-b").name == "Student 2"


def test_the_wall_lists_browsers_active_in_the_last_hour_not_the_teachers():
    clock = Clock()
    roster = ClassRoster(clock=clock)
    roster.touch("old")
    clock.now += 3000
    roster.touch("recent")
    roster.touch("teacher", teacher=True)
    clock.now += 1000
    assert [m.key for m in roster.active(3600)] == ["recent"]
    assert [m.key for m in roster.active(3600, also={"old", "never-seen"})] == ["old", "recent", "never-seen"]


def test_the_roster_is_bounded():
    clock = Clock()
    roster = ClassRoster(clock=clock, max_entries=3)
    for i in range(5):
        clock.now += 1
        roster.touch(f"b{i}")
    assert [m.number for m in roster.active()] == [3, 4, 5]
