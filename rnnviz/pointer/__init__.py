"""Pointer networks (Vinyals et al. 2015): attention over the input positions is the output.

model.py (PointerNet, VocabBaseline), lesson.py (the lesson's frozen config), evaluate.py (decoding,
accuracy against input length, sharpening over checkpoints), check.py (the check question).
"""
