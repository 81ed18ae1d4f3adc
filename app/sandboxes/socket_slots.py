"""Caps on open terminal and watch sockets: per user, per sandbox and per process.

A socket holds a thread of the process serving it for as long as it is open, so sockets are
served by a process of their own in production (`academy sockets`) and counted here, so that one
trainee opening tabs cannot take every thread of it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from app.config import Settings


class NoSlot(Exception):
    """A socket was refused; the message is safe to show to the person who asked."""


@dataclass(frozen=True)
class SlotLimits:
    """How many sockets may be open at once."""

    per_user: int
    per_sandbox: int
    per_process: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SlotLimits:
        """Return the configured limits."""
        return cls(
            settings.terminals_per_user,
            settings.terminals_per_sandbox,
            settings.sockets_per_process,
        )


class SocketSlots:
    """Counts open sockets and refuses one past any limit."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_user: Counter[int] = Counter()
        self.by_sandbox: Counter[str] = Counter()
        self.total = 0

    def acquire(self, limits: SlotLimits, user_id: int, sandbox_id: str) -> None:
        """Take a slot for a socket of user_id into sandbox_id, or raise NoSlot saying why."""
        with self.lock:
            if self.total >= limits.per_process:
                raise NoSlot("The terminal service is full right now. Try again in a minute.")
            if self.by_user[user_id] >= limits.per_user:
                raise NoSlot(
                    f"You have {limits.per_user} terminals open already. Close one (another "
                    "tab or window) and try again."
                )
            if self.by_sandbox[sandbox_id] >= limits.per_sandbox:
                raise NoSlot("This sandbox has as many terminals open as it allows.")
            self.total += 1
            self.by_user[user_id] += 1
            self.by_sandbox[sandbox_id] += 1

    def release(self, user_id: int, sandbox_id: str) -> None:
        """Give a socket's slot back."""
        with self.lock:
            self.total = max(0, self.total - 1)
            self.by_user[user_id] -= 1
            self.by_sandbox[sandbox_id] -= 1
            if self.by_user[user_id] <= 0:
                del self.by_user[user_id]
            if self.by_sandbox[sandbox_id] <= 0:
                del self.by_sandbox[sandbox_id]

    @contextmanager
    def held(self, user_id: int, sandbox_id: str) -> Iterator[None]:
        """Release the slot taken for this socket when it closes."""
        try:
            yield
        finally:
            self.release(user_id, sandbox_id)

    def open_count(self) -> int:
        """Return how many sockets are open in this process."""
        with self.lock:
            return self.total
