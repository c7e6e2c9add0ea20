

def device() -> str:
    """The accelerator this process would use (the stand-in has one: acme0)."""
    return "acme0"
