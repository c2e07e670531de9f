"""`python -m gui`: same as the `tickerdesk` console script."""

from gui.app import main

raise SystemExit(main())
