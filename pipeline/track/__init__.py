"""Head tracks: per-frame camera-relative head pose, from .chan files, JSON, or the built-in tracker."""
