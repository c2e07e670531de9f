"""The alerts dock and notifications (tray, else an in-window banner)."""
