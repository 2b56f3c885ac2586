"""The torch.save reader on malformed and crafted files: one CheckpointError naming the file and the tensor,
never a read past a buffer, a huge allocation, a raw Python error or NaN weights."""
import collections
import io
import pickle
import random
import struct
import zipfile

import numpy as np
import pytest
import torch

from stargan_tf.interop import torch_checkpoint
from stargan_tf.interop.torch_checkpoint import LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION, CheckpointError, \
    read_state_dict


class Storage:
    """A storage as the pickle references it: persistent id ("storage", class, key, device, numel), followed in
    legacy files by the view metadata (None, or (view key, offset, numel) for a pre-1.0 view)."""

    def __init__(self, key, numel, storage_class=torch.FloatStorage, view=None):
        self.pid = ("storage", storage_class, key, "cpu", numel)
        self.view = view


class Tensor:
    """Pickles exactly as torch.save pickles a tensor, with any offset, size and stride."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


class _Pickler(pickle.Pickler):
    def __init__(self, file, legacy):
        super().__init__(file, protocol=2)
        self.legacy = legacy

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        return obj.pid + (obj.view,) if self.legacy else obj.pid


def _pickle(obj, legacy) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, legacy).dump(obj)
    return buffer.getvalue()


def write_zip(path, state, data: dict) -> str:
    """A torch.save zip archive of `state` (its pickle) and `data` (storage key -> raw bytes)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", _pickle(state, legacy=False))
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")
        for key, raw in data.items():
            archive.writestr(f"archive/data/{key}", raw)
    return str(path)


def write_legacy(path, state, data: dict, header=None, keys=None) -> str:
    """A legacy torch.save stream: magic, version, header, `state`, storage keys, then each storage's
    (numel, raw bytes); data maps key -> (numel, raw bytes)."""
    with open(path, "wb") as f:
        for obj in (LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION,
                    {"little_endian": True} if header is None else header):
            pickle.dump(obj, f, protocol=2)
        f.write(_pickle(state, legacy=True))
        pickle.dump(list(data) if keys is None else keys, f, protocol=2)
        for numel, raw in data.values():
            f.write(struct.pack("<q", numel) + raw)
    return str(path)


FOUR = np.arange(4, dtype=np.float32).tobytes()


@pytest.mark.parametrize("writer", ["zip", "legacy"])
def test_hand_written_files_are_what_torch_load_reads(tmp_path, writer):
    """The crafted files below differ from this valid one in one number each: torch reads this one alike."""
    state = {"w": Tensor(Storage("0", 4), 1, (2,), (2,))}
    path = write_zip(tmp_path / "ok.pt", state, {"0": FOUR}) if writer == "zip" else \
        write_legacy(tmp_path / "ok.pt", state, {"0": (4, FOUR)})
    np.testing.assert_array_equal(read_state_dict(path)["w"], [1, 3])
    np.testing.assert_array_equal(torch.load(path, weights_only=True)["w"].numpy(), [1, 3])


BAD_GEOMETRY = {  # name: (offset, size, stride, the error expected)
    "size past the storage": (0, (8,), (1,), "reach element 7 of storage '0', which declares 4 elements"),
    "offset past the storage": (4, (1,), (1,), "reach element 4 of storage '0'"),
    "stride past the storage": (0, (2, 2), (3, 1), "reach element 4 of storage '0'"),
    "negative offset": (-8, (2,), (1,), "must be whole numbers >= 0"),
    "negative size": (0, (-1,), (1,), "must be whole numbers >= 0"),
    "negative stride": (3, (2,), (-1,), "must be whole numbers >= 0"),
    "float size": (0, (2.0,), (1,), "must be whole numbers >= 0"),
    "size and stride of different lengths": (0, (2, 2), (1,), "must have the same length"),
    "size not a tuple": (0, 4, (1,), "must be tuples"),
    "too many dimensions": (0, (1,) * 40, (1,) * 40, "must have the same length, at most 32"),
    "an expanded size too large to allocate": (0, (1 << 20, 1 << 20), (0, 0), "more than the .* bytes allowed"),
}


@pytest.mark.parametrize("writer", ["zip", "legacy"])
@pytest.mark.parametrize("case", list(BAD_GEOMETRY))
def test_a_tensor_outside_its_storage_is_refused_by_name(tmp_path, writer, case):
    offset, size, stride, message = BAD_GEOMETRY[case]
    state = {"ok": Tensor(Storage("0", 4), 0, (4,), (1,)), "main.0.weight": Tensor(Storage("0", 4), offset, size,
                                                                                    stride)}
    path = write_zip(tmp_path / "bad.pt", state, {"0": FOUR}) if writer == "zip" else \
        write_legacy(tmp_path / "bad.pt", state, {"0": (4, FOUR)})
    with pytest.raises(CheckpointError, match=f"bad.pt: tensor main.0.weight: .*{message}"):
        read_state_dict(path)


def test_an_empty_tensor_needs_no_elements(tmp_path):
    path = write_zip(tmp_path / "empty.pt", {"e": Tensor(Storage("0", 0), 0, (0, 3), (3, 1))}, {"0": b""})
    assert read_state_dict(path)["e"].shape == (0, 3)


def test_a_zip_storage_of_the_wrong_byte_count_is_refused_before_it_is_read(tmp_path, monkeypatch):
    state = {"w": Tensor(Storage("0", 4), 0, (4,), (1,))}
    odd = write_zip(tmp_path / "odd.pt", state, {"0": FOUR[:7]})
    big = write_zip(tmp_path / "big.pt", state, {"0": bytes(400_000)})
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *args, **kwargs: (
        opened.append(getattr(name, "filename", name)), real_open(self, name, *args, **kwargs))[1])
    with pytest.raises(CheckpointError, match=r"odd.pt: storage '0' of tensor w holds 7 bytes, but declares 4 "
                                              r"FloatStorage elements \(16 bytes\)"):
        read_state_dict(odd)
    with pytest.raises(CheckpointError, match="big.pt: storage '0' of tensor w holds 400000 bytes"):
        read_state_dict(big)
    assert "archive/data.pkl" in opened and "archive/data/0" not in opened


@pytest.mark.parametrize("writer", ["zip", "legacy"])
def test_a_storage_declaring_more_than_the_cap_is_refused_before_any_allocation(tmp_path, writer, monkeypatch):
    monkeypatch.setattr(torch_checkpoint, "MAX_BYTES", 1 << 20)
    state = {"w": Tensor(Storage("0", 1 << 40), 0, (4,), (1,))}
    path = write_zip(tmp_path / "huge.pt", state, {"0": FOUR}) if writer == "zip" else \
        write_legacy(tmp_path / "huge.pt", state, {"0": (1 << 40, FOUR)})
    with pytest.raises(CheckpointError, match=r"huge.pt: storage '0' declares 1099511627776 elements, more than "
                                              r"the 1048576 bytes allowed"):
        read_state_dict(path)


def test_a_legacy_storage_longer_than_the_file_is_refused(tmp_path):
    """A declared length within the cap, but past the end of the file: no read, no allocation of that size."""
    numel = 100_000_000
    path = write_legacy(tmp_path / "short.pt", {"w": Tensor(Storage("0", numel), 0, (4,), (1,))},
                        {"0": (numel, FOUR)})
    with pytest.raises(CheckpointError, match=r"short.pt: storage '0' of tensor w is truncated or corrupt .*"
                                              r"400000000 bytes; found 100000000 elements and 16 bytes left"):
        read_state_dict(path)


MALFORMED = {  # name: (writes the file into a directory, the error expected)
    "legacy header that is not a dict": (
        lambda d: write_legacy(d / "f.pt", {}, {}, header=[1, 2]),
        "f.pt: the system-info header is a list, expected a dict"),
    "a storage that is not a storage object": (
        lambda d: write_zip(d / "f.pt", {"w": Tensor(5, 0, (1,), (1,))}, {}),
        "f.pt: tensor w: its storage is a int, expected a tensor storage"),
    "a storage class that is not a storage": (
        lambda d: write_zip(d / "f.pt", {"w": Tensor(Storage("0", 4, storage_class="x"), 0, (1,), (1,))}, {}),
        r"f.pt: storage \('x', '0', 'cpu', 4\).*: expected \(storage class, key, device, element count\)"),
    "a negative storage length": (
        lambda d: write_zip(d / "f.pt", {"w": Tensor(Storage("0", -4), 0, (1,), (1,))}, {"0": FOUR}),
        r"f.pt: storage .*-4\): expected \(storage class"),
    "a zip storage missing from the archive": (
        lambda d: write_zip(d / "f.pt", {"w": Tensor(Storage("7", 4), 0, (4,), (1,))}, {}),
        "f.pt: storage '7' of tensor w is missing .no archive/data/7 in the archive"),
    "a legacy storage missing from the stream": (
        lambda d: write_legacy(d / "f.pt", {"w": Tensor(Storage("7", 4), 0, (4,), (1,))}, {}),
        "f.pt: tensor w: the data of its storage '7' is missing from the file"),
    "a legacy storage no tensor references": (
        lambda d: write_legacy(d / "f.pt", {"w": Tensor(Storage("0", 4), 0, (4,), (1,))},
                               {"0": (4, FOUR), "9": (4, FOUR)}),
        "f.pt: storage '9' is listed twice or never referenced"),
    "a legacy storage listed twice": (
        lambda d: write_legacy(d / "f.pt", {"w": Tensor(Storage("0", 4), 0, (4,), (1,))}, {"0": (4, FOUR)},
                               keys=["0", "0"]),
        "f.pt: storage '0' is listed twice"),
    "legacy storage keys that are not a list": (
        lambda d: write_legacy(d / "f.pt", {"w": Tensor(Storage("0", 4), 0, (4,), (1,))}, {"0": (4, FOUR)},
                               keys=7),
        "f.pt: expected the list of storage keys after the state_dict, got int"),
    "a value that is not a tensor": (
        lambda d: write_zip(d / "f.pt", {"w": Tensor(Storage("0", 4), 0, (4,), (1,)), "epoch": 3}, {"0": FOUR}),
        "f.pt: expected a state_dict .*, but key 'epoch' holds a int"),
    "a view past its storage": (
        lambda d: write_legacy(d / "f.pt", {"w": Tensor(Storage("0", 4, view=("v", 2, 3)), 0, (3,), (1,))},
                               {"0": (4, FOUR)}),
        r"f.pt: storage view \('v', 2, 3\) is not \(key, offset, length\) within storage '0' of 4 elements"),
    "an unknown byte order": (
        lambda d: write_zip(d / "f.pt", {}, {}) and _replace_entry(d / "f.pt", "archive/byteorder", b"middle"),
        "f.pt: archive/byteorder says 'middle', expected little or big"),
}


def _replace_entry(path, name, payload):
    with zipfile.ZipFile(path) as archive:
        entries = {entry: archive.read(entry) for entry in archive.namelist()}
    entries[name] = payload
    with zipfile.ZipFile(path, "w") as archive:
        for entry, data in entries.items():
            archive.writestr(entry, data)
    return str(path)


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_files_give_one_clear_error(tmp_path, case):
    write, message = MALFORMED[case]
    write(tmp_path)
    with pytest.raises(CheckpointError, match=message):
        read_state_dict(str(tmp_path / "f.pt"))


def test_a_legacy_view_reads_its_slice_of_the_storage(tmp_path):
    path = write_legacy(tmp_path / "view.pt", {"w": Tensor(Storage("0", 4, view=("v", 1, 3)), 1, (2,), (1,))},
                        {"0": (4, FOUR)})
    np.testing.assert_array_equal(read_state_dict(path)["w"], [2, 3])


@pytest.mark.parametrize("zip_format", [True, False])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused_by_name(tmp_path, zip_format, bad):
    weight = torch.ones(2, 3, dtype=torch.float16)
    weight[1, 2] = bad
    path = tmp_path / "nan.pt"
    torch.save({"bias": torch.zeros(3), "main.3.weight": weight}, path, _use_new_zipfile_serialization=zip_format)
    with pytest.raises(CheckpointError, match="nan.pt: tensor main.3.weight holds [01] NaN and [01] infinite"):
        read_state_dict(str(path))


def test_a_directory_is_an_error_naming_it(tmp_path):
    with pytest.raises(CheckpointError, match=f"{tmp_path}: cannot read"):
        read_state_dict(str(tmp_path))


@pytest.mark.parametrize("zip_format", [True, False])
def test_corrupted_bytes_give_a_checkpoint_error_or_finite_arrays(tmp_path, zip_format):
    """Seeded random byte damage, standing in for unforeseen malformations: never another exception."""
    state = {"a": torch.arange(12.0).reshape(3, 4), "b": torch.arange(6.0)[::2], "n": torch.tensor(3)}
    path = tmp_path / "good.pt"
    torch.save(state, path, _use_new_zipfile_serialization=zip_format)
    original = path.read_bytes()
    rng = random.Random(0)
    damaged = tmp_path / "damaged.pt"
    for _ in range(300):
        data = bytearray(original)
        for _ in range(rng.choice([1, 2, 4])):
            data[rng.randrange(len(data))] = rng.randrange(256)
        damaged.write_bytes(bytes(data))
        try:
            loaded = read_state_dict(str(damaged))
        except CheckpointError as error:
            assert "damaged.pt" in str(error)
        else:
            assert all(np.isfinite(value).all() for value in loaded.values())
