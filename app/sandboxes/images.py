"""Lab images: the Debian base image and one image per folder under labs/images.

No registry is reachable on an air-gapped machine, so the base image is pulled only when that
works and is otherwise built from the Debian archive with debootstrap. Each lab image carries a
hash of its folder's files (and of its base image) as a label, so an unchanged image is not
rebuilt.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import DockerException, ImageNotFound

BASE_REPOSITORY = "debian"
BASE_TAG = "bookworm-slim"
BASE_IMAGE = f"{BASE_REPOSITORY}:{BASE_TAG}"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
IMAGE_LABEL = "academy.image"
HASH_LABEL = "academy.content-hash"
BUILD_TIMEOUT_SECONDS = 1800

Log = Callable[[str], None]


@dataclass(frozen=True)
class BuiltImage:
    """The outcome of building (or skipping) one lab image."""

    name: str
    id: str
    seconds: float
    skipped: bool


@dataclass(frozen=True)
class ImageStatus:
    """Whether a lab image exists on the engine and matches its folder."""

    name: str
    exists: bool
    up_to_date: bool
    id: str | None
    built_hash: str | None
    current_hash: str


class ImageBuildError(RuntimeError):
    """A lab image failed to build; the message ends with the build's last output lines."""


# -- base image ---------------------------------------------------------------------------------


def ensure_base_image(client: docker.DockerClient, log: Log) -> str:
    """Make sure debian:bookworm-slim exists: keep it, pull it, or debootstrap it."""
    try:
        client.images.get(BASE_IMAGE)
        log(f"{BASE_IMAGE} is present")
        return "present"
    except ImageNotFound:
        pass
    try:
        client.images.pull(BASE_REPOSITORY, tag=BASE_TAG)
        log(f"{BASE_IMAGE} pulled from the registry")
        return "pulled"
    except (DockerException, OSError) as exc:  # OSError: requests' connection errors
        log(f"cannot pull {BASE_IMAGE} ({_first_line(exc)}); building it with debootstrap")
    _debootstrap_base(client, log)
    return "debootstrap"


def debian_mirror(sources: Path = Path("/etc/apt/sources.list.d/debian.sources")) -> str:
    """Return the Debian mirror this machine uses (deb822 sources, sources.list, or the default)."""
    if sources.is_file():
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:") and line.split()[1:]:
                return line.split()[1]
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        for line in legacy.read_text().splitlines():
            match = re.match(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s", line)
            if match:
                return match.group(1)
    return DEFAULT_MIRROR


def _debootstrap_base(client: docker.DockerClient, log: Log) -> None:
    if shutil.which("debootstrap") is None:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise RuntimeError("debootstrap is not installed: apt-get install debootstrap")
        log("installing debootstrap")
        _run(["apt-get", "install", "-y", "--no-install-recommends", "debootstrap"], log)
    if os.geteuid() != 0:
        raise RuntimeError(f"building {BASE_IMAGE} with debootstrap needs root")
    mirror = debian_mirror()
    work = Path(tempfile.mkdtemp(prefix="academy-debootstrap-"))
    try:
        rootfs = work / "rootfs"
        log(f"debootstrap --variant=minbase bookworm from {mirror} (about a minute)")
        _run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), mirror], log)
        # Downloaded packages and indexes are dead weight: every Dockerfile runs apt-get update.
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for entry in (rootfs / cache).glob("*"):
                if entry.is_file():
                    entry.unlink()
        tarball = work / "rootfs.tar"
        _run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], log)
        log(f"importing {BASE_IMAGE}")
        client.api.import_image_from_file(str(tarball), repository=BASE_REPOSITORY, tag=BASE_TAG)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    client.images.get(BASE_IMAGE)
    log(f"{BASE_IMAGE} built with debootstrap")


def _run(command: list[str], log: Log) -> None:
    """Run a command, passing its output to log, and raise if it fails."""
    tail: deque[str] = deque(maxlen=20)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line.rstrip())
            log(line.rstrip())
    if proc.returncode != 0:
        raise RuntimeError(f"{command[0]} failed (exit {proc.returncode}):\n" + "\n".join(tail))


# -- lab images ---------------------------------------------------------------------------------


def image_folders(labs_dir: Path) -> dict[str, Path]:
    """Return the lab image folders by image name (labs/images/<name>/Dockerfile)."""
    root = labs_dir / "images"
    if not root.is_dir():
        return {}
    return {p.parent.name: p.parent for p in sorted(root.glob("*/Dockerfile")) if p.is_file()}


def content_hash(client: docker.DockerClient, folder: Path) -> str:
    """Return the sha256 of a lab image's build inputs: its files and its base image's id."""
    digest = hashlib.sha256()
    for rel in _context_files(folder):
        path = folder / rel
        mode = "x" if path.lstat().st_mode & 0o111 else "-"
        digest.update(f"{rel}\0{mode}\0".encode())
        digest.update(path.read_bytes() if not path.is_symlink() else os.readlink(path).encode())
        digest.update(b"\0")
    for base in _base_images(folder / "Dockerfile"):
        try:
            digest.update(f"FROM {base}={client.images.get(base).id}\0".encode())
        except ImageNotFound:
            digest.update(f"FROM {base}=missing\0".encode())
    return digest.hexdigest()


def image_status(client: docker.DockerClient, labs_dir: Path) -> list[ImageStatus]:
    """Report, for every lab image, whether it exists and was built from the current files."""
    statuses = []
    for name, folder in image_folders(labs_dir).items():
        current = content_hash(client, folder)
        try:
            image = client.images.get(f"{name}:latest")
        except ImageNotFound:
            statuses.append(ImageStatus(name, False, False, None, None, current))
            continue
        built = (image.labels or {}).get(HASH_LABEL)
        statuses.append(ImageStatus(name, True, built == current, image.id, built, current))
    return statuses


def build_images(
    client: docker.DockerClient,
    labs_dir: Path,
    log: Log,
    names: list[str] | None = None,
    *,
    force: bool = False,
    verbose: bool = False,
) -> list[BuiltImage]:
    """Build the lab images (all, or those named) whose files changed since their last build."""
    folders = image_folders(labs_dir)
    wanted = list(folders) if names is None else names
    unknown = sorted(set(wanted) - set(folders))
    if unknown:
        raise ValueError(f"no such lab image: {', '.join(unknown)} (have: {', '.join(folders)})")
    results = []
    for name in wanted:
        results.append(_build_one(client, name, folders[name], log, force=force, verbose=verbose))
    return results


def _build_one(
    client: docker.DockerClient, name: str, folder: Path, log: Log, *, force: bool, verbose: bool
) -> BuiltImage:
    started = time.monotonic()
    digest = content_hash(client, folder)
    tag = f"{name}:latest"
    if not force:
        try:
            image = client.images.get(tag)
            if (image.labels or {}).get(HASH_LABEL) == digest:
                log(f"{tag} is up to date ({image.short_id})")
                return BuiltImage(name, image.id, round(time.monotonic() - started, 1), True)
        except ImageNotFound:
            pass
    log(f"building {tag} from {folder}")
    tail: deque[str] = deque(maxlen=30)
    image_id = ""
    for chunk in _build_stream(client, folder, tag, {IMAGE_LABEL: name, HASH_LABEL: digest}):
        if "error" in chunk:
            tail.append(str(chunk["error"]).rstrip())
            raise ImageBuildError(f"{tag} failed to build:\n" + "\n".join(tail))
        aux = chunk.get("aux")
        if isinstance(aux, dict) and aux.get("ID"):
            image_id = str(aux["ID"])
        for line in str(chunk.get("stream", "")).splitlines():
            if not line.strip():
                continue
            tail.append(line)
            if verbose:
                log(line)
            elif line.startswith("Step "):
                log(line if len(line) <= 120 else line[:117] + "...")
    if not image_id:
        image_id = client.images.get(tag).id
    seconds = round(time.monotonic() - started, 1)
    log(f"built {tag} ({image_id[7:19]}) in {seconds} s")
    return BuiltImage(name, image_id, seconds, False)


def _build_stream(
    client: docker.DockerClient, folder: Path, tag: str, labels: dict[str, str]
) -> Iterator[dict[str, object]]:
    stream: Iterator[dict[str, object]] = client.api.build(
        path=str(folder),
        tag=tag,
        labels=labels,
        rm=True,
        forcerm=True,
        pull=False,
        decode=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    return stream


def _context_files(folder: Path) -> list[str]:
    """Return the folder's files (relative, sorted) that the build context would include."""
    ignore = _dockerignore(folder)
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        rel = path.relative_to(folder).as_posix()
        if not _ignored(rel, ignore):
            files.append(rel)
    return files


def _dockerignore(folder: Path) -> list[str]:
    """Return the folder's .dockerignore patterns (comments, blanks and ! exceptions dropped)."""
    path = folder / ".dockerignore"
    if not path.is_file():
        return []
    patterns = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")):
            patterns.append(line.strip("/"))
    return patterns


def _ignored(rel: str, patterns: list[str]) -> bool:
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(p, pattern) for pattern in patterns for p in prefixes)


def _base_images(dockerfile: Path) -> list[str]:
    """Return the images named in FROM lines (stage aliases excluded)."""
    stages: set[str] = set()
    bases = []
    for line in dockerfile.read_text().splitlines():
        match = re.match(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if not match:
            continue
        image, alias = match.group(1), match.group(2)
        if image.lower() not in stages and image.lower() != "scratch":
            bases.append(image if ":" in image or "@" in image else f"{image}:latest")
        if alias:
            stages.add(alias.lower())
    return bases


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = [
    "BASE_IMAGE",
    "BuiltImage",
    "ImageBuildError",
    "ImageStatus",
    "build_images",
    "content_hash",
    "debian_mirror",
    "ensure_base_image",
    "image_folders",
    "image_status",
]
