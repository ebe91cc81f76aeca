import sys

from rnnkit.cli.app import main

sys.exit(main())
