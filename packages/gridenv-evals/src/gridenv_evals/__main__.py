import sys

from gridenv_evals.cli import main

sys.exit(main())
