"""``auction serve`` with group commit turned off: the "before" of the benchmark's group-commit row.

    python benchmarks/serve_without_group_commit.py serve --port P --database URL
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import api.bootstrap  # noqa: E402

api.bootstrap.GROUP_COMMIT = False

from api.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
