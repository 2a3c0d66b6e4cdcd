"""Password hashing with argon2id (pwdlib), off the event loop.

Parameters are OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): about 20 ms
per hash on this project's 2-core machine, so a login costs a server little and a
guess costs an attacker the same. Hashes made with other parameters still verify,
and are re-hashed with these on the next successful login.
"""

from __future__ import annotations

import asyncio
import os

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from automechanica.errors import InvalidInputError

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 accepts more; a megabyte "password" is a denial of service


class WeakPasswordError(InvalidInputError):
    """The password is too weak."""


class PasswordHasher:
    """Hash and verify passwords in worker threads (argon2 releases the GIL), at most one
    per core at a time: more would only add 19 MiB each and slow every one of them."""

    def __init__(self, *, time_cost: int = 2, memory_kib: int = 19456, lanes: int = 1) -> None:
        self._slots = asyncio.Semaphore(os.cpu_count() or 1)
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=lanes),)
        )
        # Verified against when no user has the email, so a missing account takes
        # as long to refuse as a wrong password (no user enumeration by timing).
        self._decoy = self._hash.hash("decoy password, never a real one")

    def hash_now(self, password: str) -> str:
        check_strength(password)
        return self._hash.hash(password)

    async def hash(self, password: str) -> str:
        check_strength(password)
        async with self._slots:
            return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """(matches, a new hash to store when the stored one used older parameters)."""
        if len(password) > MAX_LENGTH:
            return False, None
        async with self._slots:
            if stored is None:
                await asyncio.to_thread(self._hash.verify, password, self._decoy)
                return False, None
            return await asyncio.to_thread(self._hash.verify_and_update, password, stored)


def check_strength(password: str) -> None:
    """Length is what matters (NIST SP 800-63B): at least 12 characters, at most 256."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(
            f"The password has {len(password)} characters; use at least {MIN_LENGTH} "
            "(a few unrelated words make a good one)."
        )
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"The password is longer than {MAX_LENGTH} characters.")
    if "\x00" in password:
        raise WeakPasswordError("The password holds a NUL character; remove it.")
