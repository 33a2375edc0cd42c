"""Synthetic shots with ground truth: two identities, spins, blur, hair, expressions (`facereplace synth`)."""
