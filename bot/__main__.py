"""`python -m bot` runs the `puente` command."""

import sys

from bot.cli import main

sys.exit(main())
