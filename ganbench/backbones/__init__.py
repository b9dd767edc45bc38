"""Frozen pretrained networks shared by losses (never by the metrics that judge the same model).

Each one is trained by `scripts/train_feature_net.py` with a fixed seed; its weights ship in
`ganbench/weights/` beside a json with their SHA-256, and loading checks the hash.
"""
