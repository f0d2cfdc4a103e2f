"""``python -m rillet`` runs the console script."""

import sys

from rillet.cli import main

sys.exit(main())
