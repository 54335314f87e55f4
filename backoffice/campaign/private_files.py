"""Files only their owner may read: private storage and message files, 0600 in 0700 folders.

Whatever the umask of the process writing them (the command, a worker, the web server): a
umask of 022 would make them readable by every local user, and they hold access codes and
customers' names and emails. Modes are given where each file and folder is made, never by
changing the umask, which is process-wide and would race with other threads.
"""

import datetime as dt
import os
import uuid
from pathlib import Path

from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.core.mail.backends.filebased import EmailBackend

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def _owner_only(path: str, flags: int) -> int:
    """An ``open()`` opener: a new file is made 0600; one that existed is narrowed to it."""
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def private_folder(folder: Path, *, root: Path | None = None) -> None:
    """Make ``folder`` and those above it up to ``root`` (or ``folder`` alone) 0700, created or not.

    Existing folders are narrowed too: a folder made before this rule, at 0755, would let any local
    user list and read what is put in it.
    """
    folder = Path(folder)
    root = Path(root) if root is not None else folder
    chain = [folder, *(parent for parent in folder.parents if parent.is_relative_to(root))]
    for path in reversed(chain):
        path.mkdir(mode=FOLDER_MODE, exist_ok=True)
        if path.stat().st_mode & 0o777 != FOLDER_MODE:
            path.chmod(FOLDER_MODE)


class PrivateStorage(FileSystemStorage):
    """settings.STORAGES["private"]: files 0600 and folders 0700 whatever the umask."""

    def __init__(self, **options) -> None:
        options.setdefault("file_permissions_mode", FILE_MODE)
        options.setdefault("directory_permissions_mode", FOLDER_MODE)
        super().__init__(**options)

    def _save(self, name: str, content) -> str:
        # Django writes the file at 0666 minus the umask and narrows it after: inside a 0700
        # folder, nobody else can reach it in between.
        self._folders_for(name)
        return super()._save(name, content)

    def _open(self, name: str, mode: str = "rb") -> File:
        if not any(flag in mode for flag in "wax+"):
            return super()._open(name, mode)
        self._folders_for(name)
        return File(open(self.path(name), mode, opener=_owner_only))

    def _folders_for(self, name: str) -> None:
        private_folder(Path(self.path(name)).parent, root=Path(self.location))


class PrivateFileEmailBackend(EmailBackend):
    """Django's file backend (``make run``, no SMTP host) with owner-only message files."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        private_folder(Path(self.file_path))

    def _get_filename(self) -> str:
        """A name no other message has. Django's (the second, then the backend object's ``id()``)
        repeats when a backend made in the same second gets a freed one's ``id()``, and the second
        message is appended to the first one's file: erasing one customer's messages
        (``erase_customer`` deletes the files naming them) would then delete another's."""
        if self._fname is None:
            name = f"{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex}.log"
            self._fname = os.path.join(self.file_path, name)
        return self._fname

    def open(self) -> bool:
        if self.stream is None:
            self.stream = open(self._get_filename(), "ab", opener=_owner_only)  # noqa: SIM115 (closed by close())
            return True
        return False
