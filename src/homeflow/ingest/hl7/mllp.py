"""MLLP framing: <VT> message <FS><CR>, and a deframer for a byte stream."""

from __future__ import annotations

import socket

START = b"\x0b"
END = b"\x1c\x0d"


def frame(message: bytes) -> bytes:
    return START + message + END


class FramingError(ValueError):
    pass


class Deframer:
    """Collects bytes from a connection and yields whole messages.

    Bytes outside a frame are a framing error (the connection is closed); a frame larger
    than `max_size` is refused before it is buffered whole.
    """

    def __init__(self, max_size: int = 1 << 20) -> None:
        self.max_size = max_size
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        messages = []
        while True:
            if not self.buffer:
                break
            if self.buffer[:1] != START:
                # Line endings between frames are tolerated, as many senders add them.
                if bytes(self.buffer[:1]) in (b"\r", b"\n"):
                    del self.buffer[:1]
                    continue
                # Not the bytes themselves: the error is logged, and they may be patient data.
                raise FramingError(
                    f"bytes outside an MLLP frame (first byte {self.buffer[0]:#04x})"
                )
            end = self.buffer.find(END)
            if end < 0:
                if len(self.buffer) > self.max_size + 3:
                    raise FramingError(f"message larger than {self.max_size} bytes")
                break
            if end - 1 > self.max_size:
                raise FramingError(f"message larger than {self.max_size} bytes")
            messages.append(bytes(self.buffer[1:end]))
            del self.buffer[: end + 2]
        return messages


def split_file(data: bytes) -> list[bytes]:
    """Messages in a file: MLLP-framed or not, one or many, FHS/BHS batch headers dropped."""
    text = data.replace(START, b"\n").replace(b"\x1c", b"\n")
    messages: list[bytes] = []
    current: list[bytes] = []
    for line in text.replace(b"\r\n", b"\r").replace(b"\n", b"\r").split(b"\r"):
        if not line.strip():
            continue
        tag = line[:3]
        if tag in (b"FHS", b"BHS", b"FTS", b"BTS"):
            continue
        if tag == b"MSH" and current:
            messages.append(b"\r".join(current))
            current = []
        current.append(line)
    if current:
        messages.append(b"\r".join(current))
    return messages


class Sender:
    """An MLLP sender that waits for each ACK, as a patient administration system does."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 30.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.deframer = Deframer()

    def send(self, message: bytes) -> bytes:
        """Send one message; its ACK (raises ConnectionError if the listener hangs up)."""
        self.sock.sendall(frame(message))
        while True:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed without an ACK")
            acks = self.deframer.feed(data)
            if acks:
                return acks[0]

    def close(self) -> None:
        self.sock.close()
