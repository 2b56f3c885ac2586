"""Reads a `torch.save`d state_dict into numpy arrays with the standard library: no PyTorch needed.

Both formats torch.save has written are read: the zip archive (PyTorch >= 1.6: `data.pkl` plus one file per
storage) and the legacy stream (earlier versions, such as the official StarGAN's published checkpoints: pickles
followed by the raw storages). Unpickling is restricted to the few globals a state_dict of tensors needs
(OrderedDict, the tensor rebuild functions and the storage classes); any other global is refused, so a
checkpoint can never run code on load.
"""
from __future__ import annotations

import collections
import dataclasses
import pickle
import struct
import zipfile

import numpy as np

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

# Legacy storage class names (torch.<Name> or torch.cuda.<Name>, as written by CPU and GPU runs) -> element type.
STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "BFloat16Storage": "bfloat16", "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class CheckpointError(ValueError):
    """A file is not a readable PyTorch state_dict of tensors; the message names the file and what is wrong."""


@dataclasses.dataclass(frozen=True)
class _StorageType:
    name: str

    @property
    def itemsize(self) -> int:
        return 2 if self.name == "BFloat16Storage" else np.dtype(STORAGE_DTYPES[self.name]).itemsize

    def decode(self, raw: bytes, byteorder: str) -> np.ndarray:
        """The storage's elements as a 1-D array (bfloat16 widened to float32: numpy has no bfloat16)."""
        prefix = "<" if byteorder == "little" else ">"
        if self.name == "BFloat16Storage":
            return (np.frombuffer(raw, prefix + "u2").astype(np.uint32) << 16).view(np.float32)
        dtype = np.dtype(STORAGE_DTYPES[self.name])
        return np.frombuffer(raw, dtype.newbyteorder(prefix) if dtype.itemsize > 1 else dtype)


class _Storage:
    """A storage referenced by the pickle; its data arrives later in the legacy format."""

    def __init__(self, storage_type: _StorageType, numel: int):
        self.storage_type, self.numel, self.data = storage_type, numel, None


@dataclasses.dataclass(frozen=True)
class _TensorRef:
    """A tensor as the pickle describes it: a strided view of a storage, made into an array once data is read."""

    storage: _Storage
    offset: int
    size: tuple
    stride: tuple

    def to_numpy(self) -> np.ndarray:
        data = self.storage.data[self.offset:]
        strides = tuple(step * data.itemsize for step in self.stride)
        return np.lib.stride_tricks.as_strided(data, shape=self.size, strides=strides).copy()


def _rebuild_tensor(storage, storage_offset, size, stride, *unused_grad_and_hooks):
    return _TensorRef(storage, storage_offset, tuple(size), tuple(stride))


def _rebuild_parameter(data, *unused_grad_and_hooks):
    return data


_ALLOWED_FUNCTIONS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _StateDictUnpickler(pickle.Unpickler):
    """Resolves only the globals a state_dict of tensors needs; storages come from `load_storage`."""

    def __init__(self, file, path: str, load_storage):
        super().__init__(file, encoding="utf-8")
        self.path, self.load_storage = path, load_storage

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_FUNCTIONS:
            return _ALLOWED_FUNCTIONS[(module, name)]
        if module in ("torch", "torch.cuda") and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise CheckpointError(f"{self.path}: refusing to unpickle {module}.{name}: a state_dict of tensors only "
                              f"needs OrderedDict, tensors and storages (this file may run code when loaded)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise CheckpointError(f"{self.path}: unexpected persistent id {pid!r} (expected a tensor storage)")
        return self.load_storage(*pid[1:])


def _read_zip(path: str, archive: zipfile.ZipFile) -> dict:
    pickles = [name for name in archive.namelist() if name.endswith("/data.pkl") and name.count("/") == 1]
    if len(pickles) != 1:
        raise CheckpointError(f"{path}: a zip file but not a torch.save archive (no <name>/data.pkl)")
    prefix = pickles[0][:-len("data.pkl")]
    byteorder_file = prefix + "byteorder"
    byteorder = archive.read(byteorder_file).decode() if byteorder_file in archive.namelist() else "little"
    storages = {}

    def load_storage(storage_type, key, location, numel):
        del location  # Tensors are read to host memory wherever they were saved from.
        if key not in storages:
            storage = _Storage(storage_type, numel)
            storage.data = storage_type.decode(archive.read(f"{prefix}data/{key}"), byteorder)
            storages[key] = storage
        return storages[key]

    with archive.open(pickles[0]) as f:
        return _StateDictUnpickler(f, path, load_storage).load()


def _read_legacy(path: str, f) -> dict:
    def plain_pickle():
        return _StateDictUnpickler(f, path, lambda *pid: None).load()

    if plain_pickle() != LEGACY_MAGIC_NUMBER:
        raise CheckpointError(f"{path}: not a PyTorch checkpoint (no torch.save magic number)")
    protocol_version = plain_pickle()
    if protocol_version != LEGACY_PROTOCOL_VERSION:
        raise CheckpointError(f"{path}: unsupported torch.save protocol version {protocol_version}")
    byteorder = "little" if plain_pickle().get("little_endian", True) else "big"
    storages, views = {}, {}

    def load_storage(storage_type, key, location, numel, view_metadata=None):
        del location
        storage = storages.setdefault(key, _Storage(storage_type, numel))
        if view_metadata is None:
            return storage
        view_key, offset, view_size = view_metadata  # Pre-1.0 files may store views of a shared storage.
        return views.setdefault(view_key, (storage, offset, view_size, _Storage(storage_type, view_size)))[3]

    state = _StateDictUnpickler(f, path, load_storage).load()
    for key in plain_pickle():
        storage = storages[key]
        header = f.read(8)
        numel = struct.unpack("<q" if byteorder == "little" else ">q", header)[0] if len(header) == 8 else -1
        raw = f.read(max(numel, 0) * storage.storage_type.itemsize)
        if numel != storage.numel or len(raw) != numel * storage.storage_type.itemsize:
            raise CheckpointError(f"{path}: storage {key} is truncated or corrupt (expected {storage.numel} "
                                  f"elements)")
        storage.data = storage.storage_type.decode(raw, byteorder)
    for storage, offset, view_size, view in views.values():
        view.data = storage.data[offset:offset + view_size]
    return state


def read_state_dict(path: str) -> dict[str, np.ndarray]:
    """The tensors of a `torch.save(module.state_dict(), path)` file, by key, as numpy arrays (NCHW as saved)."""
    try:
        with open(path, "rb") as f:
            if zipfile.is_zipfile(f):
                with zipfile.ZipFile(f) as archive:
                    state = _read_zip(path, archive)
            else:
                f.seek(0)
                state = _read_legacy(path, f)
    except FileNotFoundError:
        raise CheckpointError(f"{path} does not exist") from None
    except (pickle.UnpicklingError, EOFError, KeyError, IndexError, TypeError, UnicodeDecodeError, struct.error) \
            as error:
        raise CheckpointError(f"{path}: cannot read as a PyTorch state_dict ({type(error).__name__}: {error})") \
            from None
    if not isinstance(state, dict) or not all(isinstance(value, _TensorRef) for value in state.values()):
        raise CheckpointError(f"{path}: expected a state_dict (a mapping of names to tensors), as torch.save("
                              f"model.state_dict(), path) writes, got {type(state).__name__}")
    return {name: tensor.to_numpy() for name, tensor in state.items()}
