"""One module per ``k8sviz`` subcommand (see :mod:`k8sviz.cli`)."""
