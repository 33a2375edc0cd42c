"""CG heads: procedural or OBJ head proxies, rendered headless in lighting passes; external passes read back."""
