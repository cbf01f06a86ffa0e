import sys

from gridenv_train.cli import main

sys.exit(main())
