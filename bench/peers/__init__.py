"""Processes the end-to-end benchmark runs next to `citybot serve`: a reference bot to compare
it with, and the fake LINE API in a process of its own so that it never shares a core's time
with the load generator's interpreter lock."""
