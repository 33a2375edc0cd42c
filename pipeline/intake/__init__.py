"""Footage in: `facereplace shot init` makes a shot folder from a plate and the actor's clips and tracks them.

Public API:
    stage.run(IntakeConfig, IntakeInputs, *, progress=None) -> IntakeOutputs(root, summary)
    stage.Lens.parse(text, where=...), stage.ActorSource(name, path, lens=None, sync=None)
    identity.odd_one_out(descriptors) / clip_descriptor(clip, frames): the actor sources show one person
"""
