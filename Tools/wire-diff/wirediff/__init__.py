"""wire-diff: the same scripted HTTP conversation with two kysod builds, compared byte for byte."""
