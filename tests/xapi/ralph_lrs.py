"""Run Ralph's LRS (ralph-malph from PyPI) on 127.0.0.1 for the xAPI tests.

    python -m tests.xapi.ralph_lrs PORT DIRECTORY

Ralph's own `runserver` uses its file store, which writes each statement batch to a file that
must not exist yet: a second batch fails with "Statements bulk indexation failed". This launcher
runs the same Ralph application (its API, validation, authentication and file store) with that
store set to append, so the LRS keeps taking statements for as long as it runs. Credentials come
from RALPH_AUTH_FILE, as for Ralph itself.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.environ["RALPH_RUNSERVER_BACKEND"] = "fs"
    os.environ["RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH"] = directory
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.data.fs import FSDataBackend

    FSDataBackend.default_operation_type = BaseOperationType.APPEND

    import uvicorn
    from ralph.api import app

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
