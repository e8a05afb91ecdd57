"""`python -m modelarts_magic.emulator [...]`: the same as `modelarts-magic emulator [...]`."""

import sys

from ..cli import main

sys.exit(main(["emulator", *sys.argv[1:]]))
