"""`python -m zoomai`: the command line."""

import sys

from zoomai.cli import main

sys.exit(main())
