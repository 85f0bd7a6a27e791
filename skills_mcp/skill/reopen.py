"""Open a validated file again, and only if it is still the file that was validated.

Between validation and upload a file, or a folder on its path, can be replaced by a symlink to
something outside the allowed folders. So a file is opened where validation found it for real
(what an in-folder link resolved to), one path component at a time relative to the skill folder's
descriptor, never following a link (O_NOFOLLOW; folders with O_DIRECTORY, the file with O_NONBLOCK
so a FIFO put in its place cannot hang the open). The descriptor must then name what validation saw:
the same device, inode and size. Where `os.open` takes no `dir_fd` (Windows), the real path is
opened whole and the same identity check decides.
"""

from __future__ import annotations

import errno
import os
import stat
import weakref
from dataclasses import dataclass

from skills_mcp.errors import UploadAborted

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
# O_BINARY: no newline translation on Windows.
_FILE_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
_HAS_DIR_FD = os.open in os.supports_dir_fd and _NOFOLLOW != 0
_LINK_ERRORS = (errno.ELOOP, errno.ENOTDIR, getattr(errno, "EMLINK", errno.ELOOP))


@dataclass(frozen=True, slots=True)
class Identity:
    """What validation saw of a file or folder: which one it is (device and inode), and its size."""

    dev: int
    ino: int
    size: int = 0

    @classmethod
    def of(cls, st: os.stat_result) -> Identity:
        return cls(st.st_dev, st.st_ino, st.st_size)

    def same_file(self, st: os.stat_result) -> bool:
        # DirEntry.stat() on Windows leaves st_ino 0: then the device alone is all there is to compare.
        return st.st_dev == self.dev and (self.ino == 0 or st.st_ino == self.ino)


@dataclass(frozen=True, slots=True)
class Root:
    """The skill folder as validated: its real path and identity."""

    path: str
    identity: Identity


class ChangedFile(UploadAborted):
    """The file, or a folder on its path, is not the one validated any more."""


class Opener:
    """Opens the files of one pass in order, keeping the descriptors of the folders on the current path.

    Files come sorted, so neighbours share folders: most opens are one `openat` and one `fstat`.
    """

    def __init__(self, root: Root) -> None:
        self._root = root
        self._chain: list[tuple[str, int]] = []  # (folder name, descriptor), the skill folder first
        self._closer = weakref.finalize(self, _close_all, self._chain)  # an abandoned pass leaks nothing

    def open(self, relpath: str, real: str, identity: Identity) -> int:
        """A descriptor of the file validated as `relpath`, found for real at `real` (POSIX, relative)."""
        *folders, name = real.split("/")
        try:
            if _HAS_DIR_FD:
                fd = os.open(name, _FILE_FLAGS, dir_fd=self._folder(folders))
            else:
                fd = os.open(os.path.join(self._root.path, *folders, name), _FILE_FLAGS)
        except OSError as exc:
            if exc.errno in _LINK_ERRORS:
                raise _replaced(relpath) from None
            raise UploadAborted(f"{relpath} could not be opened: {exc.strerror}.") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or not identity.same_file(st):
                raise _replaced(relpath)
            if st.st_size != identity.size:
                raise ChangedFile(
                    f"{relpath} changed size before it was sent (validated at {identity.size} bytes, now {st.st_size})."
                )
        except BaseException:
            os.close(fd)
            raise
        return fd

    def read_all(self, relpath: str, real: str, identity: Identity) -> bytes:
        """The whole file, at most its validated size (it is never read further)."""
        fd = self.open(relpath, real, identity)
        try:
            parts = []
            left = identity.size
            while left and (chunk := os.read(fd, min(left, 1 << 20))):
                parts.append(chunk)
                left -= len(chunk)
            return b"".join(parts)
        finally:
            os.close(fd)

    def close(self) -> None:
        _close_all(self._chain)  # the finalizer stays armed, for a pass that opens again

    def _folder(self, folders: list[str]) -> int:
        """The descriptor of the folder `folders` below the skill folder, reusing the current chain."""
        chain = self._chain
        if not chain:
            fd = os.open(self._root.path, _DIR_FLAGS)
            chain.append(("", fd))
            if not self._root.identity.same_file(os.fstat(fd)):
                raise ChangedFile("the skill folder itself was replaced after it was validated.")
        keep = 1
        while keep < len(chain) and keep <= len(folders) and chain[keep][0] == folders[keep - 1]:
            keep += 1
        while len(chain) > keep:
            os.close(chain.pop()[1])
        for name in folders[keep - 1 :]:
            chain.append((name, os.open(name, _DIR_FLAGS, dir_fd=chain[-1][1])))
        return chain[-1][1]


def _close_all(chain: list[tuple[str, int]]) -> None:
    while chain:
        os.close(chain.pop()[1])


def _replaced(relpath: str) -> ChangedFile:
    return ChangedFile(
        f"{relpath} was replaced after it was validated (by a symlink or another file, or a folder on its path "
        "was); nothing was read through it."
    )
