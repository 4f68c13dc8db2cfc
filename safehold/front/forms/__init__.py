"""Forms of the web interface: they parse input; actions decide what is allowed."""
