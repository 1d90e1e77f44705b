"""Kyso token lab: SoftHSM2 tokens shaped like Vietnamese USB tokens, under a TEST PKI.

Everything lives in one lab folder (its own softhsm2.conf, token store and PKI);
nothing outside that folder is read or written. See Tools/lab/README.md.
"""
