"""safe_extract skips dangerous entries, refuses damaged archives and zip bombs."""

import io
import stat
import tarfile
import zipfile

import pytest

from colorization.acquire.archive import ArchiveError, safe_extract


def _zip(path, entries):
    """entries: (ZipInfo or name, bytes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def _link(name, target):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def test_zip_skips_escapes_links_duplicates(tmp_path):
    root = tmp_path / "box"
    dest = root / "dest"
    root.mkdir()
    with pytest.warns(UserWarning, match="Duplicate name"):  # zipfile warns when writing it
        arc = _zip(
            tmp_path / "a.zip",
            [
                ("good/one.txt", b"1"),
                ("../escape.jpg", b"x"),
                ("good/../../escape2.jpg", b"x"),
                ("/abs/path.jpg", b"x"),
                ("C:/windows/evil.jpg", b"x"),
                _link("good/link", "/etc/passwd"),
                ("good/one.txt", b"2"),
                ("dir/", b""),
            ],
        )
    skipped = safe_extract(arc, dest)
    reasons = {s["file"]: s["reason"] for s in skipped}
    assert reasons["../escape.jpg"] == "path escapes the target folder"
    assert reasons["good/../../escape2.jpg"] == "path escapes the target folder"
    assert reasons["/abs/path.jpg"] == "path escapes the target folder"
    assert reasons["C:/windows/evil.jpg"] == "path escapes the target folder"
    assert reasons["good/link"] == "link entries are not extracted"
    assert [s["reason"] for s in skipped].count("duplicate entry") == 1
    assert (dest / "good" / "one.txt").read_bytes() == b"1"
    assert (dest / "dir").is_dir()
    assert not (dest / "good" / "link").exists()
    # nothing outside dest: the box holds only dest, and no temporary files remain
    assert sorted(p.name for p in root.iterdir()) == ["dest"]
    assert not list(dest.rglob("*.part"))
    assert not (tmp_path / "escape.jpg").exists()


def test_truncated_zip_raises(tmp_path):
    arc = _zip(tmp_path / "a.zip", [(f"f{i}.bin", bytes(range(256)) * 40) for i in range(5)])
    data = arc.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match="damaged or was only partly downloaded"):
        safe_extract(cut, tmp_path / "out")
    notzip = tmp_path / "html.zip"
    notzip.write_text("<html>429 Too Many Requests</html>")
    with pytest.raises(ArchiveError, match="download again"):
        safe_extract(notzip, tmp_path / "out2")


def test_corrupt_member_crc_raises(tmp_path):
    arc = tmp_path / "a.zip"
    with zipfile.ZipFile(arc, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("data.bin", b"A" * 1000)
    raw = bytearray(arc.read_bytes())
    pos = raw.find(b"A" * 100)
    raw[pos + 10] = ord("B")  # flip stored data: CRC mismatch
    arc.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError, match="damaged"):
        safe_extract(arc, tmp_path / "out")


def test_member_size_limits_raise(tmp_path):
    arc = _zip(tmp_path / "a.zip", [("big.bin", b"\0" * 5000), ("small.bin", b"1")])
    with pytest.raises(ArchiveError, match="zip bomb"):
        safe_extract(arc, tmp_path / "o1", max_member_bytes=4000)
    with pytest.raises(ArchiveError, match="zip bomb"):
        safe_extract(arc, tmp_path / "o2", max_total_bytes=4000)
    assert safe_extract(arc, tmp_path / "o3") == []


def test_forged_declared_size_raises(tmp_path):
    arc = _zip(tmp_path / "a.zip", [("f.bin", b"\0" * 100)])
    raw = bytearray(arc.read_bytes())
    cd = raw.find(b"PK\x01\x02")  # central directory header: uncompressed size at +24
    raw[cd + 24 : cd + 28] = (3 * 2**30).to_bytes(4, "little")  # claims 3 GiB
    arc.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError, match="zip bomb"):
        safe_extract(arc, tmp_path / "out")


def test_tar_gz_same_rules(tmp_path):
    arc = tmp_path / "a.tar.gz"
    with tarfile.open(arc, "w:gz") as tf:
        for name, data in (("ok/a.txt", b"a"), ("../up.txt", b"u")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("ok/l")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
    dest = tmp_path / "box" / "dest"
    skipped = safe_extract(arc, dest)
    assert {s["reason"] for s in skipped} == {
        "path escapes the target folder",
        "link entries are not extracted",
    }
    assert (dest / "ok" / "a.txt").read_bytes() == b"a"
    assert sorted(p.name for p in (tmp_path / "box").iterdir()) == ["dest"]
