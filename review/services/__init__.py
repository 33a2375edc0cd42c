"""Every write of the review site: keyword-only functions, atomic, role-checked, recorded, broadcast on commit."""
