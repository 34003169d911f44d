"""Deprecated alias of ``dlstudio.train.assembly`` (this old path goes in the next release)."""

from dlstudio._moved import moved

moved(__name__)
