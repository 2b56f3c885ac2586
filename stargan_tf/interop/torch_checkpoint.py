"""Reads a `torch.save`d state_dict into numpy arrays with the standard library: no PyTorch needed.

Both formats torch.save has written are read: the zip archive (PyTorch >= 1.6: `data.pkl` plus one file per
storage) and the legacy stream (earlier versions, such as the official StarGAN's published checkpoints: pickles
followed by the raw storages). Unpickling is restricted to the few globals a state_dict of tensors needs
(OrderedDict, the tensor rebuild functions and the storage classes); any other global is refused, so a
checkpoint can never run code on load.

Every number the file declares is checked before it is used: each tensor's extent against its storage's declared
length, each storage's bytes against that length, and both against MAX_BYTES, so a malformed or crafted file
gives a CheckpointError naming the file (and the tensor) instead of a crash, a huge allocation or weights copied
from outside the file. Weights that are NaN or infinite are refused too.
"""
from __future__ import annotations

import collections
import dataclasses
import io
import math
import pickle
import struct
import zipfile
import zlib

import numpy as np

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001
MAX_BYTES = 4 << 30  # The most one storage or one tensor may hold: far above any network this package reads.
MAX_DIMS = 32  # numpy's lowest dimension limit (numpy 1.x)

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


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class _Storage:
    """A storage the pickle references, by key: its element type and declared length, then its elements.

    A view (pre-1.0 legacy files) is `numel` elements of a base storage from `offset` on; its data is the base's.
    """

    def __init__(self, storage_type: _StorageType, key: str, numel: int, base: _Storage | None = None,
                 offset: int = 0):
        self.storage_type, self.key, self.numel, self.base, self.offset = storage_type, key, numel, base, offset
        self.data = None

    @property
    def nbytes(self) -> int:
        return self.numel * self.storage_type.itemsize

    def elements(self) -> np.ndarray:
        if self.base is None:
            return self.data
        return self.base.data[self.offset:self.offset + self.numel]


@dataclasses.dataclass(frozen=True)
class _TensorRef:
    """A tensor as the pickle describes it: a strided view of a storage, made into an array once data is read.

    The fields hold whatever the pickle gave; `problem` checks them before anything is read.
    """

    storage: object
    offset: object
    size: object
    stride: object

    def problem(self) -> str | None:
        """Why this tensor cannot be a view of its storage (None if it can), from the declared numbers only."""
        if not isinstance(self.storage, _Storage):
            return f"its storage is a {type(self.storage).__name__}, expected a tensor storage"
        if not (isinstance(self.size, (tuple, list)) and isinstance(self.stride, (tuple, list))):
            return f"size {self.size!r:.80} and stride {self.stride!r:.80} must be tuples"
        if len(self.size) != len(self.stride) or len(self.size) > MAX_DIMS:
            return (f"size {tuple(self.size)!r:.80} and stride {tuple(self.stride)!r:.80} must have the same "
                    f"length, at most {MAX_DIMS}")
        if not all(map(_is_count, (self.offset, *self.size, *self.stride))):
            return (f"offset {self.offset!r:.40}, size {tuple(self.size)!r:.80} and stride "
                    f"{tuple(self.stride)!r:.80} must be whole numbers >= 0")
        count = math.prod(self.size)
        if count * self.storage.storage_type.itemsize > MAX_BYTES:
            return f"its size {tuple(self.size)} holds more than the {MAX_BYTES} bytes allowed"
        end = self.offset + sum((size - 1) * stride for size, stride in zip(self.size, self.stride)) + 1
        if count and end > self.storage.numel:
            return (f"offset {self.offset}, size {tuple(self.size)} and stride {tuple(self.stride)} reach element "
                    f"{end - 1} of storage {self.storage.key!r}, which declares {self.storage.numel} elements")
        return None

    def to_numpy(self) -> np.ndarray:
        """The tensor's values; only for a tensor without `problem` whose storage's data is read."""
        data = self.storage.elements()[self.offset:]
        strides = tuple(step * data.itemsize for step in self.stride)
        return np.lib.stride_tricks.as_strided(data, shape=tuple(self.size), strides=strides).copy()


def _rebuild_tensor(storage, storage_offset, size, stride, *unused_grad_and_hooks):
    return _TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, *unused_grad_and_hooks):
    return data


_ALLOWED_FUNCTIONS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _StateDictUnpickler(pickle.Unpickler):
    """Resolves only the globals a state_dict of tensors needs; collects the storages it references, by key."""

    def __init__(self, file, path: str):
        super().__init__(file, encoding="utf-8")
        self.path = path
        self.storages: dict[str, _Storage] = {}
        self.views: dict[str, _Storage] = {}

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_FUNCTIONS:
            return _ALLOWED_FUNCTIONS[(module, name)]
        if module in ("torch", "torch.cuda") and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise CheckpointError(f"{self.path}: refusing to unpickle {module}.{name}: a state_dict of tensors only "
                              f"needs OrderedDict, tensors and storages (this file may run code when loaded)")

    def persistent_load(self, pid):
        """A storage from ("storage", type, key, location, numel[, (view key, offset, view numel)])."""
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise CheckpointError(f"{self.path}: unexpected persistent id {pid!r:.200} (expected a tensor storage)")
        storage_type, key, numel = pid[1], pid[2], pid[4]  # pid[3], the device, is ignored: data goes to host.
        if not (isinstance(storage_type, _StorageType) and isinstance(key, str) and _is_count(numel)):
            raise CheckpointError(f"{self.path}: storage {pid[1:]!r:.200}: expected (storage class, key, device, "
                                  f"element count)")
        if numel * storage_type.itemsize > MAX_BYTES:
            raise CheckpointError(f"{self.path}: storage {key!r} declares {numel} elements, more than the "
                                  f"{MAX_BYTES} bytes allowed")
        storage = self.storages.setdefault(key, _Storage(storage_type, key, numel))
        view = pid[5] if len(pid) == 6 else None  # Legacy files add view metadata, None unless a pre-1.0 view.
        if view is None:
            return storage
        if not (isinstance(view, tuple) and len(view) == 3 and isinstance(view[0], str)
                and _is_count(view[1]) and _is_count(view[2]) and view[1] + view[2] <= storage.numel):
            raise CheckpointError(f"{self.path}: storage view {view!r:.200} is not (key, offset, length) within "
                                  f"storage {key!r} of {storage.numel} elements")
        return self.views.setdefault(view[0], _Storage(storage_type, view[0], view[2], storage, view[1]))


NESTING = "/"  # joins a network's name to its tensors' keys when a file holds several state_dicts


def _checked_tensors(path: str, state, prefix: str = "", only=None) -> dict[str, _TensorRef]:
    """The state_dict's tensors, each checked against its storage's declared length (nothing read yet). A dict of
    state_dicts (StarGAN v2's {network: state_dict}, wing.ckpt's {'state_dict': ...}) is flattened to
    `<network>/<key>` names; `only` names the top-level entries to read, the others (an epoch count, an optimizer
    state) are skipped unread."""
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: expected a state_dict (a mapping of names to tensors), as torch.save("
                              f"model.state_dict(), path) writes, got {type(state).__name__}")
    tensors = {}
    for name, tensor in state.items():
        if only is not None and name not in only:
            continue
        if isinstance(name, str) and isinstance(tensor, dict) and not prefix:
            tensors.update(_checked_tensors(path, tensor, name + NESTING))
            continue
        if not isinstance(name, str) or not isinstance(tensor, _TensorRef):
            raise CheckpointError(f"{path}: expected a state_dict (a mapping of names to tensors), but key "
                                  f"{prefix}{name!r:.80} holds a {type(tensor).__name__}")
        if problem := tensor.problem():
            raise CheckpointError(f"{path}: tensor {prefix}{name}: {problem}")
        tensors[prefix + name] = tensor
    return tensors


def _users(state: dict, storage: _Storage) -> str:
    """The names of the tensors using a storage (directly or through a view), for messages."""
    names = [name for name, tensor in state.items() if storage in (tensor.storage, tensor.storage.base)]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _read_zip(path: str, archive: zipfile.ZipFile, only=None) -> dict[str, _TensorRef]:
    entries = {info.filename: info for info in archive.infolist()}
    pickles = [name for name in entries if name.endswith("/data.pkl") and name.count("/") == 1]
    if len(pickles) != 1:
        raise CheckpointError(f"{path}: a zip file but not a torch.save archive (no <name>/data.pkl)")
    prefix = pickles[0][:-len("data.pkl")]
    byteorder = "little"
    if prefix + "byteorder" in entries:
        with archive.open(prefix + "byteorder") as f:
            byteorder = f.read(8).decode("ascii", "replace")
        if byteorder not in ("little", "big"):
            raise CheckpointError(f"{path}: {prefix}byteorder says {byteorder!r}, expected little or big")
    with archive.open(pickles[0]) as f:
        state = _checked_tensors(path, _StateDictUnpickler(f, path).load(), only=only)
    bases = {id(base): base for base in (tensor.storage.base or tensor.storage for tensor in state.values())}
    for storage in bases.values():
        info = entries.get(f"{prefix}data/{storage.key}")
        if info is None:
            raise CheckpointError(f"{path}: storage {storage.key!r} of tensor {_users(state, storage)} is missing "
                                  f"(no {prefix}data/{storage.key} in the archive)")
        if info.file_size != storage.nbytes:  # From the zip directory: checked before a byte is inflated.
            raise CheckpointError(f"{path}: storage {storage.key!r} of tensor {_users(state, storage)} holds "
                                  f"{info.file_size} bytes, but declares {storage.numel} {storage.storage_type.name} "
                                  f"elements ({storage.nbytes} bytes)")
        storage.data = storage.storage_type.decode(archive.read(info), byteorder)
    return state


def _read_legacy(path: str, f: io.BytesIO, only=None) -> dict[str, _TensorRef]:
    def plain_pickle():
        return _StateDictUnpickler(f, path).load()

    if plain_pickle() != LEGACY_MAGIC_NUMBER:
        raise CheckpointError(f"{path}: not a PyTorch checkpoint (no torch.save magic number)")
    protocol_version = plain_pickle()
    if protocol_version != LEGACY_PROTOCOL_VERSION:
        raise CheckpointError(f"{path}: unsupported torch.save protocol version {protocol_version!r:.80}")
    header = plain_pickle()
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: the system-info header is a {type(header).__name__}, expected a dict")
    byteorder = "little" if header.get("little_endian", True) else "big"
    unpickler = _StateDictUnpickler(f, path)
    state = _checked_tensors(path, unpickler.load(), only=only)
    keys = plain_pickle()
    if not (isinstance(keys, list) and all(isinstance(key, str) for key in keys)):
        raise CheckpointError(f"{path}: expected the list of storage keys after the state_dict, got "
                              f"{type(keys).__name__}")
    for key in keys:
        storage = unpickler.storages.get(key)
        if storage is None or storage.data is not None:
            raise CheckpointError(f"{path}: storage {key!r} is listed twice or never referenced by a tensor")
        header = f.read(8)
        numel = struct.unpack("<q" if byteorder == "little" else ">q", header)[0] if len(header) == 8 else -1
        left = len(f.getbuffer()) - f.tell()
        if numel != storage.numel or storage.nbytes > left:
            raise CheckpointError(f"{path}: storage {key!r} of tensor {_users(state, storage)} is truncated or "
                                  f"corrupt (expected {storage.numel} elements, {storage.nbytes} bytes; found "
                                  f"{numel} elements and {left} bytes left in the file)")
        storage.data = storage.storage_type.decode(f.read(storage.nbytes), byteorder)
    for name, tensor in state.items():
        if (tensor.storage.base or tensor.storage).data is None:
            raise CheckpointError(f"{path}: tensor {name}: the data of its storage {tensor.storage.key!r} is "
                                  f"missing from the file")
    return state


def _finite(path: str, name: str, array: np.ndarray) -> np.ndarray:
    """The array, if every value is finite: NaN or infinite weights would turn every output into NaN."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise CheckpointError(f"{path}: tensor {name} holds {int(np.isnan(array).sum())} NaN and "
                              f"{int(np.isinf(array).sum())} infinite value(s); weights must be finite")
    return array


# What parsing a malformed file can raise, besides the checks above that name the problem.
_PARSE_ERRORS = (pickle.UnpicklingError, EOFError, KeyError, IndexError, TypeError, ValueError, AttributeError,
                 UnicodeDecodeError, struct.error, zipfile.BadZipFile, zlib.error, NotImplementedError,
                 MemoryError, OverflowError, RecursionError)


def read_state_dict(path: str, only=None) -> dict[str, np.ndarray]:
    """The tensors of a `torch.save(module.state_dict(), path)` file, by key, as numpy arrays (NCHW as saved);
    `only`: the top-level entries to read (see _checked_tensors)."""
    try:
        with open(path, "rb") as f:
            if zipfile.is_zipfile(f):
                with zipfile.ZipFile(f) as archive:
                    state = _read_zip(path, archive, only)
            else:
                f.seek(0)  # The whole file in memory: a declared length can then never over-read or over-allocate.
                state = _read_legacy(path, io.BytesIO(f.read()), only)
    except FileNotFoundError:
        raise CheckpointError(f"{path} does not exist") from None
    except CheckpointError:
        raise
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read ({error})") from None
    except _PARSE_ERRORS as error:
        raise CheckpointError(f"{path}: cannot read as a PyTorch state_dict ({type(error).__name__}: "
                              f"{str(error)[:200]})") from None
    return {name: _finite(path, name, tensor.to_numpy()) for name, tensor in state.items()}


def read_state_dicts(path: str, only=None) -> dict[str, dict[str, np.ndarray]]:
    """The state_dicts of a `torch.save({name: module.state_dict(), ...}, path)` file, by name (tensors as numpy
    arrays; `only`: the names to read, other entries skipped); CheckpointError when the file holds one plain
    state_dict instead."""
    grouped: dict[str, dict[str, np.ndarray]] = {}
    for key, array in read_state_dict(path, only).items():
        name, nested, tensor_key = key.partition(NESTING)
        if not nested:
            raise CheckpointError(f"{path}: expected a dict of state_dicts ({{name: state_dict}}), found tensor "
                                  f"{key} at the top level")
        grouped.setdefault(name, {})[tensor_key] = array
    return grouped
