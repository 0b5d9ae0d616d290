"""Keys of the eval files, shared by their writer (``evaluate``) and reader (``aggregate``)."""


def rho_key(rho) -> str:
    """The key under which results for radius rho are stored: ``str(float(rho))``."""
    return str(float(rho))
