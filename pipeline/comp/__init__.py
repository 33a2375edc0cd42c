"""Compositing the final shot from the picked variants.

    stage.render_edit(shot, edit, *, fixes_dir=None, out_dir, progress=None) -> RenderResult
        the final render: EXR sequence, review clip, Nuke script, OTIO (reproducible from its inputs)
    shot.run_shot(shot, edit, *, fixes_dir=None, out=None) -> RenderResult   the same into SHOT/comp
    edit.load_edit(path) / edit_from_dict(data) -> Edit; edit.check_edit(edit, first_frame=, last_frame=, variants=)
    fixes.find_fixes(folder, first_frame=, last_frame=, size=); headfit.HeadFit, apply_head_fit
    handoff.nuke_script / write_nuke, edit_timeline / write_otio
    preview.render_edit_preview: the interim pick as a picture, cut from the variants' review clips
"""
