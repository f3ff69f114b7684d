"""python -m firmware.flash: see cli.py."""
import sys

from firmware.flash.cli import main

sys.exit(main())
