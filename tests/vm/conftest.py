"""The guest tests run only inside the test VM (``python tests/vm/run.py test``).

On the host they are not collected at all (never skipped): they write the kernel's
DAMON sysfs, which on this machine belongs to the machine.
"""

import os

collect_ignore = [] if os.environ.get("DAMON_TUI_IN_VM") == "1" else ["guest"]
