"""``python -m braintrust``: the same as the ``braintrust`` command."""

from braintrust.cli import main

raise SystemExit(main())
