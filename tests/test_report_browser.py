"""report.html renders in headless Chromium with its pictures, offline.

Needs the Debian package `chromium` (the README test command and .ci/run make sure it is there;
the test installs nothing itself). The screenshot is kept under the test's temporary folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import matplotlib.image as mpimg
import pytest
from report_helpers import fake_out

from ganbench.results.report import write_report


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("chromium is not installed: `apt-get install -y chromium` (make test does it)")


def headless(tmp_path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_report_renders_in_chromium(tmp_path):
    out = fake_out(tmp_path / "out")
    html_path, _ = write_report(out)
    url = html_path.resolve().as_uri()

    dom = headless(tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    imgs = re.findall(r'<img src="(data:image/png;base64,[^"]{100,})"', dom.stdout)
    assert len(imgs) >= 15  # bars, cost and losses per dataset, samples of each variant, pairs
    assert "Dataset: mnist" in dom.stdout and "Run metadata" in dom.stdout

    shot = tmp_path / "shot.png"
    res = headless(
        tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars", url
    )
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (2000, 1280)
    assert pixels.std() > 0.05  # not a blank page
    # the pictures drew: the first screenful holds the red "best" bars of the metric chart
    red = (pixels[..., 0] > 0.75) & (pixels[..., 1] < 0.3) & (pixels[..., 2] < 0.3)
    assert red.sum() > 500
