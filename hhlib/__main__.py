import sys

from ._startup import started
from .cli import main

started()
sys.exit(main())
