"""Deprecated alias of ``dlstudio.datasets.batches`` (this old path goes in the next release)."""

from dlstudio._moved import moved

moved(__name__)
