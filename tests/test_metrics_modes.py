"""Classifier mode coverage: the Stacked-MNIST oracle stream, and the classifier itself."""

import math

import torch

from ganbench.core.config import get_preset
from ganbench.data import get_dataset
from ganbench.metrics.classifier import classify, load_classifier
from ganbench.metrics.classifier_modes import mode_coverage, mode_ids, predicted_digits
from ganbench.metrics.image_suite import evaluate_images


def test_uniform_oracle_stream_of_26000_covers_all_modes_with_kl_0019():
    g = torch.Generator().manual_seed(0)
    triplets = torch.randint(10, (26_000, 3), generator=g)
    m = mode_coverage(mode_ids(triplets), 1000)
    assert m["modes_covered"] >= 999 and m["modes_total"] == 1000
    assert abs(m["reverse_kl"] - 999 / (2 * 26_000)) < 0.003


def test_single_mode_stream_gives_log_1000():
    m = mode_coverage(mode_ids(torch.tensor([[3, 1, 4]] * 26_000)), 1000)
    assert m["modes_covered"] == 1 and abs(m["reverse_kl"] - math.log(1000)) < 1e-9


def test_mode_id_is_100_d1_10_d2_d3():
    assert mode_ids(torch.tensor([[9, 0, 7], [0, 0, 0]])).tolist() == [907, 0]


def test_classifier_accuracy_on_held_out_digits():
    data = get_dataset("mnist")
    acc = (classify(data.test) == data.test_labels).double().mean()
    assert acc >= 0.975
    logits = load_classifier("cpu")(data.test[:5])
    assert logits.shape == (5, 10)


def test_one_class_generator_scores_is_1_one_mode_and_top_msssim():
    data = get_dataset("mnist")
    digit = data.test[data.test_labels == 3][:1]

    def sampler(n):
        return digit.repeat(n, 1, 1, 1)

    m = evaluate_images(sampler, data, get_preset("smoke").eval, 0, "auto", "cpu").metrics
    assert abs(m["is_mean"] - 1.0) < 1e-6
    assert m["modes_covered"] == 1 and abs(m["reverse_kl"] - math.log(10)) < 1e-9
    assert m["msssim_gen"] > 0.999 > m["msssim_real"]


def test_stacked_mnist_channels_are_classified_separately():
    from ganbench.data.stacked_mnist import stacked_mnist_triplets

    data = get_dataset("stacked-mnist")
    pred = predicted_digits(data.test[:300])
    truth = stacked_mnist_triplets("test")[:300]
    assert pred.shape == (300, 3) and (pred == truth).all(1).double().mean() > 0.9
