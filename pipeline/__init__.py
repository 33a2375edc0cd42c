"""The facereplace engine: plain stage functions, typed configs, versioned artifacts. Imports no Django."""
