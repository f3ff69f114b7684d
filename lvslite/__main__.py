import sys

from lvslite.cli import main

sys.exit(main())
