"""Positions entered by hand: math (Qt-free), dialog, footer totals and the controller."""
