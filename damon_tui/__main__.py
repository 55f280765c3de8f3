import sys

from damon_tui.cli import main

sys.exit(main())
