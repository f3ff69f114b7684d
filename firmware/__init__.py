"""Firmware tooling: Buildroot external tree checks, image assembly, the flasher."""
