import sys

from gridenv.cli import main

sys.exit(main())
