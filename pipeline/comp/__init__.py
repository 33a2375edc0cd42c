"""Compositing the final shot from the picked variants (the preview comp until the full comp lands)."""
