"""Hostile archives, round two: odd entries, damaged streams, integrity, bombs, leftovers.

New names of :mod:`colorization.acquire.archive` are looked up inside the tests
(``archive.X``) so each case fails on its own when the behaviour is missing.
"""

import errno
import io
import os
import random
import signal
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from colorization.acquire import archive
from colorization.acquire.archive import ArchiveError, safe_extract


def _zip(path, entries, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return path


def _tar(path, entries, mode="w"):
    """entries: (name, bytes) for files, (name, None) for folders."""
    with tarfile.open(path, mode) as tf:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


def _noise(n, seed=0):
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in Path(root).rglob("*") if p.is_file())


# --------------------------------------------------------------------------- odd entries


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_file_and_folder_of_the_same_name_skip_one_entry(tmp_path, kind):
    entries = [("a", b"file a"), ("a/b.txt", b"under a"), ("a/", None), ("d/e.txt", b"e"),
               ("d", b"file d"), ("ok.txt", b"kept")]
    if kind == "zip":
        arc = _zip(tmp_path / "x.zip", [(n, d or b"") for n, d in entries])
    else:
        arc = _tar(tmp_path / "x.tar", entries)
    dest = tmp_path / "dest"
    reasons = {s["file"]: s["reason"] for s in safe_extract(arc, dest)}
    assert reasons == {
        "a/b.txt": "one of its folders has the name of a file already extracted",
        "a/" if kind == "zip" else "a": "a file of the same name already exists",
        "d": "a folder of the same name already exists",
    }
    assert _files(dest) == ["a", "d/e.txt", "ok.txt"]
    assert (dest / "a").read_bytes() == b"file a"
    assert (dest / "ok.txt").read_bytes() == b"kept"


LONG_NAMES = [
    "x" * 241 + ".jpg",  # 245 bytes: legal, but 245 + a temporary suffix is not
    "\U0001f34e" * 60 + ".jpg",  # 60 four-byte apples: 244 bytes, 64 characters
]


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_legal_long_member_names_are_extracted(tmp_path, kind):
    entries = [(f"train/{n}", n.encode()) for n in LONG_NAMES] + [("train/ok.jpg", b"ok")]
    arc = (_zip(tmp_path / "x.zip", entries) if kind == "zip"
           else _tar(tmp_path / "x.tar", entries, "w:gz"))
    dest = tmp_path / "dest"
    assert safe_extract(arc, dest) == []
    for n in LONG_NAMES:
        assert len(n.encode()) <= 255
        assert (dest / "train" / n).read_bytes() == n.encode()
    assert len(_files(dest)) == 3  # and no temporary file left


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_entries_that_cannot_be_created_are_skipped(tmp_path, kind):
    too_long = "y" * 300  # above NAME_MAX
    too_deep = "/".join(["d" * 200] * 25) + "/f.txt"  # above PATH_MAX
    entries = [(too_long, b"1"), (too_deep, b"2"), ("keep.txt", b"kept")]
    arc = (_zip(tmp_path / "x.zip", entries) if kind == "zip"
           else _tar(tmp_path / "x.tar", entries))
    dest = tmp_path / "dest"
    skipped = safe_extract(arc, dest)
    assert {s["file"] for s in skipped} == {too_long, too_deep}
    assert all(s["reason"].startswith("cannot be created here: ") for s in skipped)
    assert _files(dest) == ["keep.txt"]


def test_full_disk_is_an_archive_error_not_a_skip(tmp_path, monkeypatch):
    arc = _zip(tmp_path / "x.zip", [("a.txt", b"a"), ("b.txt", b"b")])
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith("b.txt"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(ArchiveError, match="No space left on device.*free some space"):
        safe_extract(arc, tmp_path / "dest")
    assert not list((tmp_path / "dest").glob(".x*.part"))


# --------------------------------------------------------------------------- damaged streams


def _damage_middle(path, n=40):
    raw = bytearray(path.read_bytes())
    mid = len(raw) // 2
    for i in range(mid, mid + n):
        raw[i] ^= 0x55
    path.write_bytes(bytes(raw))
    return path


def _zip_bad_deflate(path):
    """A zip whose deflate stream is invalid (zlib.error, not a CRC mismatch)."""
    _zip(path, [("f.bin", _noise(20000))])
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("f.bin")
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start] = 0xFF  # final block of the reserved type 3
    path.write_bytes(bytes(raw))
    return path


def _damaged(kind, tmp_path):
    payload = _noise(20000) + b"hello world " * 4000
    if kind == "zip-deflate":
        return _zip_bad_deflate(tmp_path / "d.zip")
    if kind.startswith("zip-"):
        comp = {"zip-bzip2": zipfile.ZIP_BZIP2, "zip-lzma": zipfile.ZIP_LZMA}[kind]
        return _damage_middle(_zip(tmp_path / "d.zip", [("f.bin", payload)], comp))
    ext = kind.split("-")[1]
    arc = _tar(tmp_path / f"d.tar.{ext}", [(f"f{k}.bin", payload) for k in range(3)],
               f"w:{ext}")
    return _damage_middle(arc)


DAMAGED = ["zip-deflate", "zip-bzip2", "zip-lzma", "tar-gz", "tar-bz2", "tar-xz"]


@pytest.mark.parametrize("kind", DAMAGED)
def test_every_decompression_error_is_a_damaged_archive_error(tmp_path, kind):
    arc = _damaged(kind, tmp_path)
    with pytest.raises(ArchiveError, match="damaged or was only partly downloaded") as err:
        safe_extract(arc, tmp_path / "dest")
    assert arc.name in str(err.value) and "download again" in str(err.value)
    assert isinstance(err.value, archive.DamagedArchiveError) and err.value.damaged


@pytest.mark.parametrize("kind", DAMAGED)
def test_verify_detects_a_damaged_download(tmp_path, kind):
    """What the download code calls before keeping a download: damaged means fetch again."""
    arc = _damaged(kind, tmp_path)
    with pytest.raises(archive.DamagedArchiveError, match=arc.name):
        archive.verify(arc)
    assert not (tmp_path / "dest").exists()


def test_verify_accepts_a_good_archive_and_refuses_others(tmp_path):
    good = _zip(tmp_path / "good.zip", [("a/b.txt", b"b" * 10), ("c.txt", b"c" * 5)])
    assert archive.verify(good) == {"entries": 2, "bytes": 15}
    tgz = _tar(tmp_path / "good.tar.gz", [("a", None), ("a/b.txt", b"b" * 10)], "w:gz")
    assert archive.verify(tgz) == {"entries": 2, "bytes": 10}
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good.read_bytes()[:-10])
    html = tmp_path / "html.zip"
    html.write_text("<html>429 Too Many Requests</html>")
    for bad in (cut, html):
        with pytest.raises(archive.DamagedArchiveError):
            archive.verify(bad)
    bomb = _zip(tmp_path / "bomb.zip", [("z.bin", b"\0" * 4 * 2**20)], zipfile.ZIP_BZIP2)
    with pytest.raises(ArchiveError, match="zip bomb") as err:  # fetching again will not help
        archive.verify(bomb)
    assert not err.value.damaged
    with pytest.raises(ArchiveError, match="no such archive"):
        archive.verify(tmp_path / "missing.zip")


def test_zip_member_crc_checked_for_every_compression(tmp_path):
    for comp in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        arc = _zip(tmp_path / f"c{comp}.zip", [("f.bin", _noise(5000))], comp)
        raw = bytearray(arc.read_bytes())
        cd = raw.find(b"PK\x01\x02")  # central directory: CRC-32 at +16
        raw[cd + 16] ^= 0xFF
        arc.write_bytes(bytes(raw))
        with pytest.raises(archive.DamagedArchiveError, match="CRC"):
            safe_extract(arc, tmp_path / f"o{comp}")
        with pytest.raises(archive.DamagedArchiveError, match="CRC"):
            archive.verify(arc)


# --------------------------------------------------------------------------- integrity


def _tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_gzip_with_flipped_bytes_does_not_extract_ok(tmp_path):
    import gzip

    tar = _tar_bytes([("a.txt", b"A" * 1000)])
    data = bytearray(gzip.compress(tar, compresslevel=0))  # stored blocks: no deflate error
    data[data.find(b"A" * 100) + 5] = ord("B")  # only the gzip trailer's CRC-32 can tell
    flipped = tmp_path / "data.tar.gz"
    flipped.write_bytes(bytes(data))
    trailer = tmp_path / "trailer.tar.gz"
    good = bytearray(gzip.compress(tar))
    good[-6] ^= 0x01  # the trailer's CRC-32 itself
    trailer.write_bytes(bytes(good))
    for arc in (flipped, trailer):
        with pytest.raises(ArchiveError, match=f"{arc.name}.*damaged.*CRC") as err:
            safe_extract(arc, tmp_path / f"out-{arc.name}")
        assert err.value.damaged
        with pytest.raises(archive.DamagedArchiveError):
            archive.verify(arc)


def test_tar_cut_short_or_with_a_damaged_header_is_not_silently_shorter(tmp_path):
    entries = [(f"f{k}.txt", b"x" * 700) for k in range(3)]
    tar = _tar_bytes(entries)
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        second = tf.getmembers()[1].offset
    cut = tmp_path / "cut.tar"
    cut.write_bytes(tar[:second])  # ends exactly after the first member
    bad_header = bytearray(tar)
    bad_header[second + 10] ^= 0x01  # the second header's checksum no longer matches
    (tmp_path / "header.tar").write_bytes(bytes(bad_header))
    for arc in (cut, tmp_path / "header.tar"):
        with pytest.raises(ArchiveError, match=f"{arc.name}.*damaged") as err:
            safe_extract(arc, tmp_path / f"out-{arc.name}")
        assert err.value.damaged
    good = tmp_path / "good.tar"
    good.write_bytes(tar)
    assert safe_extract(good, tmp_path / "good") == []
    assert _files(tmp_path / "good") == ["f0.txt", "f1.txt", "f2.txt"]


# --------------------------------------------------------------------------- bombs


@pytest.mark.parametrize("kind", ["zip-bzip2", "zip-lzma", "tar-bz2", "tar-xz"])
def test_small_members_with_a_bomb_ratio_are_refused(tmp_path, kind):
    """4 MiB of zeros expands far more than 1000:1 with bzip2 or LZMA/xz.

    (Deflate, hence zip's usual method and gzip, cannot exceed about 1032:1; such archives are
    bounded by the total limit, tested below.)"""
    zeros = b"\0" * 4 * 2**20
    if kind.startswith("zip"):
        comp = zipfile.ZIP_BZIP2 if kind == "zip-bzip2" else zipfile.ZIP_LZMA
        arc = _zip(tmp_path / "b.zip", [("small.txt", b"s"), ("zeros.bin", zeros)], comp)
    else:
        ext = kind.split("-")[1]
        arc = _tar(tmp_path / f"b.tar.{ext}", [("small.txt", b"s"), ("zeros.bin", zeros)],
                   f"w:{ext}")
    with pytest.raises(ArchiveError, match=f"{arc.name}.*zip bomb.*1000:1"):
        safe_extract(arc, tmp_path / "dest")
    assert _files(tmp_path / "dest") == []  # refused before writing anything


def test_tiny_compressible_files_are_not_refused(tmp_path):
    arc = _zip(tmp_path / "t.zip", [(f"z{k}.bin", b"\0" * 500_000) for k in range(4)],
               zipfile.ZIP_BZIP2)
    tgz = _tar(tmp_path / "t.tar.xz", [(f"z{k}.bin", b"\0" * 500_000) for k in range(2)],
               "w:xz")
    assert safe_extract(arc, tmp_path / "a") == []
    assert safe_extract(tgz, tmp_path / "b") == []
    assert len(_files(tmp_path / "a")) == 4 and len(_files(tmp_path / "b")) == 2


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_total_size_limit_is_proportional_to_the_archive(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(archive, "TOTAL_RATIO", 3)
    monkeypatch.setattr(archive, "TOTAL_FLOOR", 1000)
    text = [(f"t{k}.txt", b"some text that compresses well " * 400) for k in range(5)]
    arc = (_zip(tmp_path / "t.zip", text) if kind == "zip"
           else _tar(tmp_path / "t.tar.gz", text, "w:gz"))
    with pytest.raises(ArchiveError, match=f"{arc.name}.*zip bomb.*3 times its size"):
        safe_extract(arc, tmp_path / "dest")
    assert _files(tmp_path / "dest") == []  # refused before writing
    monkeypatch.setattr(archive, "TOTAL_RATIO", 1000)  # a bigger archive may hold more
    assert safe_extract(arc, tmp_path / "dest2") == []


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_total_size_limited_by_the_free_disk(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(archive, "_free_bytes", lambda folder: 20_000)
    files = [(f"n{k}.bin", _noise(5000, seed=k)) for k in range(5)]  # 25000 bytes
    arc = (_zip(tmp_path / "n.zip", files) if kind == "zip"
           else _tar(tmp_path / "n.tar.gz", files, "w:gz"))
    with pytest.raises(ArchiveError, match=f"{arc.name}.*free disk space.*free some space"):
        safe_extract(arc, tmp_path / "dest")
    assert _files(tmp_path / "dest") == []
    monkeypatch.setattr(archive, "_free_bytes", lambda folder: 10**9)
    assert safe_extract(arc, tmp_path / "dest") == []


def test_entry_count_limit_for_zip_and_tar(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "ENTRY_FLOOR", 100)
    entries = [(f"e/{k}.txt", b"") for k in range(600)]
    tgz = _tar(tmp_path / "many.tar.gz", entries, "w:gz")
    assert tgz.stat().st_size // archive.BYTES_PER_ENTRY < 600  # empty files pack tightly
    with pytest.raises(ArchiveError, match="many.tar.gz.*zip bomb.*more than 100 entries"):
        safe_extract(tgz, tmp_path / "t")
    assert not (tmp_path / "t" / "e").exists()
    zp = _zip(tmp_path / "many.zip", entries)
    with pytest.raises(ArchiveError, match="many.zip.*zip bomb.*more than 50 entries"):
        safe_extract(zp, tmp_path / "z", max_entries=50)
    assert not (tmp_path / "z" / "e").exists()
    assert safe_extract(zp, tmp_path / "z") == []  # a zip entry costs >= 76 bytes: in limit
    assert len(_files(tmp_path / "z")) == 600


# --------------------------------------------------------------------------- leftovers


def test_temporary_member_files_of_an_interrupted_extraction_are_removed(tmp_path):
    dest = tmp_path / "dest" / "sub"
    dest.mkdir(parents=True)
    left = dest / ".x0123456789abcdef.part"
    left.write_bytes(b"half a file")
    keep = dest / "user.part"
    keep.write_bytes(b"not ours")
    arc = _zip(tmp_path / "a.zip", [("sub/a.txt", b"a")])
    assert safe_extract(arc, tmp_path / "dest") == []
    assert not left.exists() and keep.exists()
    assert _files(tmp_path / "dest") == ["sub/a.txt", "sub/user.part"]


_HOLD = """
import importlib.util, sys, time
# archive.py alone, by its path (it needs only the standard library): starts at once
spec = importlib.util.spec_from_file_location("archive_alone", sys.argv[2])
mod = sys.modules["archive_alone"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
with mod.extraction_folder(sys.argv[1], "fruits") as work:
    (work / "half.jpg").write_bytes(b"x")
    print(work, flush=True)
    time.sleep(600)
"""


def test_scratch_folder_of_a_killed_run_is_removed_at_the_next_run(tmp_path):
    parent = tmp_path / "raw"
    parent.mkdir()
    old = parent / ".extract-animals-k1ll3d"  # what a killed preparation left behind
    (old / "raw-img" / "cane").mkdir(parents=True)
    (old / "raw-img" / "cane" / "1.jpg").write_bytes(b"x")
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(parent), archive.__file__],
                            stdout=subprocess.PIPE, text=True)
    try:
        busy = Path(proc.stdout.readline().strip())
        assert busy.parent == parent and busy.name.startswith(".extract-fruits-")
        assert not old.exists()  # the running preparation already removed the stale one
        with archive.extraction_folder(parent, "animals") as mine:
            assert busy.is_dir()  # in use by a running process: kept
            assert mine.is_dir() and mine != busy
            assert archive.clean_leftovers(parent) == []
        assert not mine.exists()  # removed on exit
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert busy.is_dir()  # a kill leaves it behind ...
        with archive.extraction_folder(parent, "fruits"):
            assert not busy.exists()  # ... and the next run removes it
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert sorted(parent.iterdir()) == []


def test_scratch_folder_removed_when_extraction_fails(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_text("<html>not a zip</html>")
    with pytest.raises(archive.DamagedArchiveError), \
            archive.extraction_folder(tmp_path, "fruits") as work:
        safe_extract(bad, work)
    assert list(tmp_path.glob(".extract-*")) == []
