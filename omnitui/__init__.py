"""omnitui: a terminal omnichannel support console for small shops."""

__version__ = "0.1.0"
