"""Views parse input, fetch through the gatekeepers, call one action and render."""
