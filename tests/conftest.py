import sys
from pathlib import Path

import sigpipe_lint.libcst_import  # noqa: F401 - libcst as the engine imports it (lazy dataclass methods)

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest_plugins = ["pytester"]
