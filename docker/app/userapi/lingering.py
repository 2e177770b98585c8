"""Lingering close for waitress, so a refused request's answer reaches a client still sending.

waitress closes the socket as soon as an error answer (413 for a chunked body over the limit,
400 for a malformed request) is flushed. Bytes the client is still sending then reach a closed
socket, the kernel answers them with a TCP reset, and the reset discards the answer the client
has not read yet. In 300 chunked 80 KiB uploads against the 64 KiB limit, 79 clients got
ConnectionResetError instead of the 413.

RFC 9112 section 9.6 (Tear-down) asks a server to close in stages: half-close its side, then read
until the client closes or a time limit passes. nginx does that (``lingering_close``) in front
of the service on AWS. Locally, clients talk to waitress directly, and waitress has no option
for it, so this channel adds it. It is bounded like nginx's: ``LINGER_SECONDS`` at most, and
never once the server is stopping.
"""

from __future__ import annotations

import socket
import time
from typing import Optional

from waitress.channel import HTTPChannel

# In all, from the half-close. nginx waits 5 s for each next read (lingering_timeout) and 30 s in
# all (lingering_time); 5 s in all is enough for a body of the size we accept to finish arriving.
LINGER_SECONDS = 5.0
READ_BYTES = 65536


class LingeringChannel(HTTPChannel):
    """An ``HTTPChannel`` whose server-initiated close half-closes, drains, then closes."""

    linger_until: Optional[float] = None
    will_close: bool  # waitress' own flag, declared here because waitress has no type hints

    def handle_close(self) -> None:
        # `will_close` is set only when the server decides to close (an answer with
        # "Connection: close" flushed, the idle timeout); a client's EOF or reset comes here
        # without it and closes at once.
        if self.linger_until is None and self.will_close and self.connected and self._serving():
            try:
                self.socket.shutdown(socket.SHUT_WR)  # FIN after the queued answer
            except OSError:
                pass  # the client is already gone
            else:
                self.linger_until = time.monotonic() + LINGER_SECONDS
                self.will_close = False
                return
        super().handle_close()

    def _serving(self) -> bool:
        return bool(getattr(self.server, "accepting", True))

    def readable(self) -> bool:
        if self.linger_until is None:
            return bool(super().readable())
        if time.monotonic() >= self.linger_until or not self._serving():
            # The loop asks every turn (at most a second apart), so the limit holds without a
            # timer of its own. Closing here takes the channel out of the loop's map.
            super().handle_close()
            return False
        return True

    def writable(self) -> bool:
        # Everything was flushed before the half-close; nothing more is ever sent.
        return self.linger_until is None and bool(super().writable())

    def handle_read(self) -> None:
        if self.linger_until is None:
            super().handle_read()
            return
        try:
            data = self.socket.recv(READ_BYTES)  # read and discarded: never parsed
        except OSError:
            data = b""
        if not data:
            super().handle_close()  # the client closed (or reset): done
