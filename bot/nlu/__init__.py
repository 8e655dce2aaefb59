"""Thai and English chat understood offline: normalise, tokenise with the lexicons' words, and
score intents with their slots. Lexicons are data in `content/nlu/`; the rules are here.
"""
