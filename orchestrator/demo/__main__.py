"""`python -m orchestrator.demo` (`make demo`)."""

from __future__ import annotations

import sys

from orchestrator.demo.command import main

sys.exit(main())
