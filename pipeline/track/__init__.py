"""Head tracks: per-frame camera-relative head pose, from .chan files, JSON, or the built-in tracker.

Public API (other stages call these):
    HeadTrack (pipeline.track.headtrack): frames, rotation (N,3,3), translation (N,3), intrinsics, confidence,
        status ("measured" | "filled"); .yaw_pitch_roll() (continuous), .transforms() (N,4,4), .frame_flags()
    read_track(path) / write_track(path, track): the versioned head_track JSON
    load_head_track(path, *, intrinsics=None, camera=None, rotation_order="ZXY") (pipeline.track.load):
        JSON, or a .chan with intrinsics (and a world-space camera .chan)
    conform(track, frames, *, fill=False): the track on exactly the plate's frames (missing ones reported)
    read_chan(path, *, rotation_order="ZXY", kind="object"|"camera") / write_chan(path, ChanTrack)
        (pipeline.track.chan); from_chan / to_chan / camera_chan convert to and from HeadTrack
    read_intrinsics(path) / write_intrinsics(path, Intrinsics, *, lens="given") (pipeline.track.load);
        read_camera(path) -> (Intrinsics, lens): where the camera's focal length came from (given|metadata|estimated)
    solve(clip, intrinsics | None, SolveConfig(), *, frames=None, progress=None, lens="given") -> Solved(track,
        landmarks, seconds) (pipeline.track.solve): the built-in tracker (no intrinsics: the lens is estimated,
        track.lens says so); detect + solve_detected: the same in two steps (the face mesh's pass kept for reuse);
        track_summary(track): measured / filled / flagged frames, the lens, warnings
    lens_from_metadata(path, width, height) / clip_lens(clip) -> Intrinsics | None (pipeline.track.lens): the lens
        the plate's EXR attributes, EXIF or video tags record; estimate_lens(landmarks, width, height)
    HeadTrack.view_yaw_pitch_roll(): angles as the camera sees the head (pipeline.geometry.view_yaw_pitch_roll),
        what fit selection, coverage, faceset poses and QC compare
    plot_track(track, png) (pipeline.track.plot)
    stage.run(SolveConfig, TrackInputs) -> TrackOutputs: import or solve a track into a head_track JSON;
        shot.run_shot(shot, *, out=None, solve=False): the same for a shot (SHOT/work/track.json)
"""
