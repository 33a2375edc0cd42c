"""Publish a shot's review media to the review site over its REST API (never by importing Django).

What is published, relative to SHOT_DIR (the folder of `shot.toml`):

    review/plate.mp4                     optional: the plate's review clip
    review/variants/<name>/variant.json  one manifest per variant (kind "review_variant", schema_version 1):
        {"label": "rigid A", "variant_kind": "rigid" | "loose" | "cg" | "other", "clip": "review.mp4",
         "model": "...", "checkpoint": "...", "faceset": {...}, "performance": {...},
         "qc": [{"frame": 1001, "coverage": 1.0, "anomaly": 0.02}, ...]}
    review/variants/<name>/review.mp4    the clip; beside it, when `pipeline.media.review.make_review_clip`
                                         wrote them, review.thumbnail.png, review.filmstrip.png and
                                         review.filmstrip.json go too

The shot is found on the site by project, sequence and code (the shot's name), and created there when new.
Every upload carries an Idempotency-Key derived from what is uploaded, so a retry (after a dropped
connection, or a second run of the verb) never makes a duplicate.
"""
