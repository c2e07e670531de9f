"""`python -m engine.simulator`: same as the `tickerdesk-sim` console script."""

from engine.simulator.cli import main

raise SystemExit(main())
