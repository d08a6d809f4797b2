"""The packages gen drives, by cloud, and how to read what they bundle (no cdktf, no jsii).

May import: the standard library only.
"""

from __future__ import annotations

from pathlib import Path

# The provider binding packages, by cloud. Their __init__ imports every one of their
# ~2,000 resource modules (about 12 s and 1 GB each); gen imports only the modules a stack
# uses. See gen.synth.speed.bindings._import_package_lightly.
BINDINGS = {"aws": "cdktf_cdktf_provider_aws", "gcp": "cdktf_cdktf_provider_google"}
PROVIDER_PACKAGES = {"aws": "aws", "gcp": "google"}  # providers/<folder> by cloud
# Distributions whose versions are part of every stack's fingerprint (plus the cloud's bindings).
TOOLCHAIN = ("cdktf", "jsii", "constructs", "typeguard")


def _bundled_tarball(folder: Path) -> Path | str:
    """The one assembly tarball a binding package bundles in _jsii/, or what is wrong."""
    tarballs = sorted((folder / "_jsii").glob("*.jsii.tgz"))
    if len(tarballs) != 1:
        return f"{folder / '_jsii'} should hold one .jsii.tgz, found {len(tarballs)}"
    return tarballs[0]


def _member_text(tar, name: str) -> str | None:
    """The text of file `name` in an open tarball, or None when it has no such file."""
    try:
        member = tar.extractfile(name)
    except KeyError:
        return None
    return None if member is None else member.read().decode("utf-8")

