"""Deprecated alias of ``dlstudio.train.state_files`` (this old path goes in the next release)."""

from dlstudio._moved import moved

moved(__name__)
