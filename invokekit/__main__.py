import sys

from invokekit.cli import main

sys.exit(main())
