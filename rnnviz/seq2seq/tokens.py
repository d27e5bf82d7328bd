"""Target-side conventions shared by both seq2seq tasks (dates and captions).

Every target vocabulary starts with the same three specials, so one decoder serves both::

    >>> decode_ids([5, 4, 2, 0], ("<pad>", "<sos>", "<eos>", "a", "b", "c"))
    ['c', 'b']
"""

PAD, SOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<sos>", "<eos>")


def decode_ids(ids, vocab: tuple[str, ...]) -> list[str]:
    """Target ids -> tokens, stopping at <eos> and skipping <pad>/<sos>."""
    out = []
    for i in [int(i) for i in ids]:
        if i == EOS:
            break
        if i > EOS:
            out.append(vocab[i])
    return out
