"""Draw README's picture of the sample: its issue on a phone, its printed copy and the
desk's referral page, side by side (docs/images/sample.png).

Run from the repository: ``.venv/bin/python docs/picture.py``. It copies the sample into a
temporary folder, builds and prints it offline, serves its desk on loopback and takes
screenshots with headless Chromium; nothing in the repository changes but the picture.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
PICTURE = REPO / "docs" / "images" / "sample.png"
MONTH = "2026-11"
HEIGHT = 900  # pixels of each panel; the picture is three panels and their margins
MARGIN = 24
# Made up for the picture: the sample's desk and print need a secret, and nobody reads it.
ENV = {
    **os.environ,
    "NEWSLETTER_SECRET": "picture-of-the-sample-" + "x" * 16,
    "NEWSLETTER_DESK_TOKEN": "picture-of-the-sample-desk-" + "y" * 32,
}
BIN = Path(sys.executable).parent


def run(*args: str, cwd: Path) -> None:
    subprocess.run(
        [str(BIN / "newsletter"), *args], cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL
    )


def screenshot(url: str, out: Path, width: int, height: int) -> Path:
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--screenshot={out}",
            url,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(project: Path, *command: str) -> Iterator[str]:
    """The address of a ``newsletter`` server (the preview, the desk) on a free port, until
    the block ends."""
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "newsletter"), *command, "--port", str(port)],
        cwd=project,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:  # it answers once it listens
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"newsletter {command[0]} did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait()


def printed_copy(project: Path, out: Path) -> Path:
    run("print", "--month", MONTH, cwd=project)
    pdf = next((project / "build" / MONTH / "print").rglob("*.pdf"))
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "110",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(out.with_suffix("")),
        ],
        check=True,
    )
    return out


def panel(path: Path) -> Image.Image:
    image = Image.open(path).convert("RGB")
    return image.resize((round(image.width * HEIGHT / image.height), HEIGHT))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        project = work / "project"
        project.mkdir()
        for part in ("newsletter.yaml", "content", "templates", "subscribers"):
            source = REPO / part
            if source.is_dir():
                shutil.copytree(source, project / part)
            else:
                shutil.copy2(source, project / part)
        run("build", "--month", MONTH, "--offline", cwd=project)
        # The web page through the preview: the email's words with no placeholder
        # left to fill, and its pictures from the build, as nothing is published yet.
        with serving(project, "preview", "--month", MONTH) as preview:
            email = screenshot(f"{preview}/web/", work / "email.png", 390, HEIGHT)
        with serving(project, "serve", "--no-email") as desk:
            referral = screenshot(f"{desk}/r", work / "referral.png", 390, HEIGHT)
        panels = [
            panel(email),
            panel(printed_copy(project, work / "print.png")),
            panel(referral),
        ]
    width = sum(p.width for p in panels) + MARGIN * (len(panels) + 1)
    picture = Image.new("RGB", (width, HEIGHT + 2 * MARGIN), "#e8ebef")
    x = MARGIN
    for image in panels:
        picture.paste(image, (x, MARGIN))
        x += image.width + MARGIN
    PICTURE.parent.mkdir(parents=True, exist_ok=True)
    picture.save(PICTURE, optimize=True)
    print(f"wrote {PICTURE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
