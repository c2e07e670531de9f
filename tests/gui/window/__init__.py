"""Tests of gui/window: docks and minimum size, detached windows, links, layouts."""
