"""Pieces of the main window that are not a domain: menus, help and details dialogs, geometry."""
