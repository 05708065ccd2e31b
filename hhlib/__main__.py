from ._startup import finish, started
from .cli import main

started()
finish(main())
