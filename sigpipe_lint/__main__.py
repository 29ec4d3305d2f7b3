import sys

from sigpipe_lint.cli import main

sys.exit(main())
