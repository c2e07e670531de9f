"""PyInstaller entry script: the frozen `tickerdesk` executable runs `gui.app.main`."""

from gui.app import main

raise SystemExit(main())
