"""Labelled digit images: the 1,797 handwritten digits that ship inside scikit-learn, and a learner's own PNG images
(a zip archive or a folder), read under the same rules as a CSV file: sizes, types, counts and contents checked before
anything is trained, every problem one line naming the file at fault.

A learner's PNG is named by its label: the start of its file name, up to the first ``_``, ``-`` or ``.``, is the
class (``3_anna.png``, ``3-01.png`` and ``3.png`` are all 3s); folders only group files. Each picture, whatever its
size and whichever way round its colours are, becomes the 8 x 8 image the model reads (``pipeline.data.pixels``).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

import numpy as np

from pipeline.data.dataset import MAX_CSV_BYTES, MAX_LABEL_CHARS, TextDataset, check_classes, printable
from pipeline.data.pixels import encode, ink_of, to_grid
from pipeline.errors import InputError
from pipeline.safeio import read_user_file

MAX_ARCHIVE_BYTES = MAX_CSV_BYTES  # a zip of images, as uploaded: the same 5 MB as a CSV file
MAX_IMAGE_BYTES = 1_000_000  # one PNG
MAX_IMAGES = 5_000
MAX_UNPACKED_BYTES = 50_000_000  # every image of an archive or folder, together
MAX_SIDE, MIN_SIDE = 2048, 8  # pixels, each way
MAX_DEPTH = 4  # folders inside the archive or folder given
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IGNORED = re.compile(r"(^|/)(__MACOSX|\.[^/]*|Thumbs\.db|desktop\.ini)(/|$)", re.IGNORECASE)  # made by the system
_LABEL = re.compile(r"^[^_.\-]+")


@dataclass(frozen=True)
class ImageDataset(TextDataset):
    """Labelled 8 x 8 images: ``texts`` holds each image as its 64-character code (``pipeline.data.pixels``), so the
    split, the run cache and the held-out examples treat an image as the text lessons treat a sentence."""

    @property
    def images(self) -> list[str]:
        return self.texts


@cache
def digits() -> ImageDataset:
    """scikit-learn's handwritten digits (1,797 images of 8 x 8, ink 0 to 16), read from the package: nothing is
    downloaded. Loaded once per process."""
    from sklearn.datasets import load_digits  # scikit-learn (and SciPy) load in about a second: only when asked for

    data = load_digits()
    codes = [encode(image.astype(int).tolist()) for image in data.images]
    return ImageDataset(codes, [int(y) for y in data.target], [str(c) for c in data.target_names])


def read_png(raw: bytes, name: str) -> np.ndarray:
    """The grey pixels (0..255, 2-D) of one PNG image, any transparency laid over white; InputError naming the file
    when it is not a PNG, is too large or too small, or cannot be decoded."""
    from PIL import Image  # Pillow: only when an image is read

    if len(raw) > MAX_IMAGE_BYTES:
        raise InputError(f"{name} is {len(raw):,} bytes; an image may be at most {MAX_IMAGE_BYTES:,} bytes.")
    if not raw.startswith(PNG_SIGNATURE):
        raise InputError(f"{name} is not a PNG image (it does not start like one): save it as .png.")
    try:
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
            width, height = image.size  # from the header, before any pixel is decoded
            if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
                raise InputError(f"{name} is {width} x {height} pixels; an image must be {MIN_SIDE} to {MAX_SIDE} "
                                 "pixels each way.")
            image.load()
            rgba = image.convert("RGBA")
    except InputError:
        raise
    except Exception as e:  # Pillow raises many kinds for a damaged file (OSError, SyntaxError, zlib errors, ...)
        raise InputError(f"{name} could not be decoded as a PNG image ({type(e).__name__}: "
                         f"{printable(str(e), 80)}).") from None
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, rgba).convert("L"), dtype=np.float64)


def image_code(raw: bytes, name: str) -> str:
    """One PNG image as the 8 x 8 image the model reads (its code); InputError naming ``name`` when it has no digit."""
    try:
        return encode(to_grid(ink_of(read_png(raw, name))))
    except InputError as e:
        message = str(e)
        raise InputError(message if message.startswith(name) else f"{name}: {message}") from None


def label_of(path: str) -> str:
    """A PNG's label: the start of its file name up to the first ``_``, ``-`` or ``.`` (``3_anna.png`` -> ``3``)."""
    found = _LABEL.match(PurePosixPath(path).name)
    return found.group(0).strip() if found else ""


def load_images(raw: bytes, name: str) -> ImageDataset:
    """A zip archive of PNG images named by their labels (``load_images(upload.getvalue(), upload.name)``)."""
    name = printable(name)
    if len(raw) > MAX_ARCHIVE_BYTES:
        raise InputError(f"{name} is {len(raw):,} bytes; the limit is {MAX_ARCHIVE_BYTES:,} bytes "
                         f"({MAX_ARCHIVE_BYTES / 1e6:.0f} MB).")
    if not raw.startswith(b"PK"):
        raise InputError(f"{name} is not a zip archive: put the PNG images in a .zip file (or give a folder).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        entries = [i for i in archive.infolist() if not i.is_dir() and not IGNORED.search(i.filename)]
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise InputError(f"{name} is not a readable zip archive ({printable(str(e), 80)}).") from None
    _check_listing(name, [(i.filename, i.file_size) for i in entries])
    for info in entries:
        if info.flag_bits & 0x1:
            raise InputError(f"{name}: {printable(info.filename)} is encrypted; give the images without a password.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError(f"{name}: {printable(info.filename)} is packed in a way this app does not read; "
                             "make the zip with the usual (deflate) compression.")
    files = []
    with archive:
        for info in entries:
            with archive.open(info) as f:
                files.append((info.filename, f.read(MAX_IMAGE_BYTES + 1)))  # never more than an image's limit
    return _dataset(name, files, hashlib.sha256(raw).hexdigest())


def load_image_folder(path: str | os.PathLike[str]) -> ImageDataset:
    """A folder of PNG images named by their labels (the command line's ``--data FOLDER``)."""
    root = Path(path)
    name = printable(os.fsdecode(path))
    found: list[tuple[str, int]] = []
    for folder, subfolders, names in os.walk(root):  # links to folders are not followed
        depth = len(Path(folder).relative_to(root).parts)
        subfolders[:] = sorted(d for d in subfolders if not IGNORED.search(d))
        if depth > MAX_DEPTH:
            raise InputError(f"{name}: folders go more than {MAX_DEPTH} deep ({printable(folder)}).")
        for file in sorted(names):
            relative = (Path(folder) / file).relative_to(root).as_posix()
            if not IGNORED.search(relative):
                info = os.stat(Path(folder) / file)
                found.append((relative, info.st_size if stat.S_ISREG(info.st_mode) else 0))
            if len(found) > MAX_IMAGES:
                break
    _check_listing(name, found)
    files = [(relative, read_user_file(root / relative, MAX_IMAGE_BYTES, "PNG image")) for relative, _ in found]
    digest = hashlib.sha256()
    for relative, raw in files:
        digest.update(hashlib.sha256(relative.encode()).digest() + hashlib.sha256(raw).digest())
    return _dataset(name, files, digest.hexdigest())


def load_image_data(source: str | os.PathLike[str]) -> ImageDataset:
    """A folder of PNG images, or a zip archive of them, from a path."""
    if Path(source).is_dir():
        return load_image_folder(source)
    return load_images(read_user_file(source, MAX_ARCHIVE_BYTES, "zip archive"), Path(source).name)


def _check_listing(name: str, files: list[tuple[str, int]]) -> None:
    """Refuse, before anything is read, a listing with no images, too many, anything but PNGs, or too many bytes."""
    if not files:
        raise InputError(f"{name} holds no images: it needs PNG images named by their label (3_anna.png).")
    if len(files) > MAX_IMAGES:
        raise InputError(f"{name} holds more than {MAX_IMAGES:,} files; the limit is {MAX_IMAGES:,} images.")
    other = next((f for f, _ in files if not f.lower().endswith(".png")), None)
    if other is not None:
        raise InputError(f"{name}: {printable(other)} is not a .png image; give only PNG images, each named by its "
                         "label (3_anna.png).")
    big = next(((f, size) for f, size in files if size > MAX_IMAGE_BYTES), None)
    if big is not None:
        raise InputError(f"{name}: {printable(big[0])} is {big[1]:,} bytes; an image may be at most "
                         f"{MAX_IMAGE_BYTES:,} bytes.")
    total = sum(size for _, size in files)
    if total > MAX_UNPACKED_BYTES:
        raise InputError(f"{name}: its images come to {total:,} bytes; the limit is {MAX_UNPACKED_BYTES:,}.")


def _dataset(name: str, files: list[tuple[str, bytes]], sha256: str) -> ImageDataset:
    """Each file's label and 8 x 8 image, checked one by one, then the classes as a CSV's are checked."""
    codes, labels = [], []
    for path, raw in files:
        shown = f"{name}: {printable(path)}"
        label = label_of(path)
        if not label:
            raise InputError(f"{shown} has no label: start its name with the class, such as 3_anna.png.")
        if len(label) > MAX_LABEL_CHARS:
            raise InputError(f"{shown}: its label has {len(label):,} characters (limit {MAX_LABEL_CHARS}).")
        codes.append(image_code(raw, shown))
        labels.append(label)
    classes = check_classes(labels, name, noun="image")
    index = {c: i for i, c in enumerate(classes)}
    return ImageDataset(codes, [index[label] for label in labels], classes, name, sha256)
