"""The standard-library torch.save reader: both file formats, element types, views, and refusing foreign code."""
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

from stargan_tf.interop.torch_checkpoint import (LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION, CheckpointError,
                                                 read_state_dict)


def _save(obj, path, zip_format):
    torch.save(obj, path, _use_new_zipfile_serialization=zip_format)
    return str(path)


@pytest.mark.parametrize("zip_format", [True, False])
def test_reads_tensors_of_every_weight_type_with_their_values(tmp_path, zip_format):
    generator = torch.Generator().manual_seed(0)
    base = torch.randn(4, 6, generator=generator)
    state = {"float": torch.randn(3, 2, 5, 5, generator=generator), "double": base.double(), "half": base.half(),
             "bfloat16": base.bfloat16(), "count": torch.tensor(7, dtype=torch.int64),
             "int": torch.arange(5, dtype=torch.int32), "flag": torch.tensor([True, False])}
    loaded = read_state_dict(_save(state, tmp_path / "state.ckpt", zip_format))
    assert list(loaded) == list(state)
    for name, tensor in state.items():
        expected = tensor.float().numpy() if name == "bfloat16" else tensor.numpy()
        assert loaded[name].dtype == expected.dtype, name
        assert loaded[name].shape == expected.shape, name
        np.testing.assert_array_equal(loaded[name], expected, err_msg=name)


@pytest.mark.parametrize("zip_format", [True, False])
def test_reads_views_sharing_a_storage_with_offsets_and_strides(tmp_path, zip_format):
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    state = {"base": base, "slice": base[1:, ::2], "transposed": base.t()}
    loaded = read_state_dict(_save(state, tmp_path / "views.ckpt", zip_format))
    np.testing.assert_array_equal(loaded["slice"], [[6, 8, 10], [12, 14, 16], [18, 20, 22]])
    np.testing.assert_array_equal(loaded["transposed"], base.numpy().T)


def test_reads_a_legacy_file_saved_from_gpu_storages(tmp_path):
    """The official checkpoints were saved from CUDA tensors: their storages are torch.cuda.FloatStorage."""
    path = _save({"w": torch.arange(6, dtype=torch.float32)}, tmp_path / "cpu.ckpt", zip_format=False)
    data = open(path, "rb").read()
    assert data.count(b"ctorch\nFloatStorage\n") == 1
    gpu_path = tmp_path / "gpu.ckpt"
    gpu_path.write_bytes(data.replace(b"ctorch\nFloatStorage\n", b"ctorch.cuda\nFloatStorage\n"))
    np.testing.assert_array_equal(read_state_dict(str(gpu_path))["w"], np.arange(6, dtype=np.float32))


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_refuses_a_zip_checkpoint_whose_pickle_calls_a_foreign_global(tmp_path):
    path = _save({"w": torch.zeros(2)}, tmp_path / "good.ckpt", zip_format=True)
    marker = tmp_path / "code_ran"
    evil_path = tmp_path / "evil.ckpt"
    with zipfile.ZipFile(path) as good, zipfile.ZipFile(evil_path, "w") as evil:
        for name in good.namelist():
            payload = pickle.dumps({"w": _RunsCode(marker)}, protocol=2) if name.endswith("/data.pkl") \
                else good.read(name)
            evil.writestr(name, payload)
    with pytest.raises(CheckpointError, match=r"evil.ckpt: refusing to unpickle (posix|os)\.system"):
        read_state_dict(str(evil_path))
    assert not marker.exists()


def test_refuses_a_legacy_checkpoint_whose_pickle_calls_a_foreign_global(tmp_path):
    marker = tmp_path / "code_ran"
    evil_path = tmp_path / "evil.ckpt"
    with open(evil_path, "wb") as f:
        for obj in (LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION, {"little_endian": True}, _RunsCode(marker)):
            pickle.dump(obj, f, protocol=2)
    with pytest.raises(CheckpointError, match=r"refusing to unpickle (posix|os)\.system"):
        read_state_dict(str(evil_path))
    assert not marker.exists()


def test_rejects_files_that_are_not_state_dicts(tmp_path):
    text_path = tmp_path / "notes.ckpt"
    text_path.write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="notes.ckpt: cannot read as a PyTorch state_dict"):
        read_state_dict(str(text_path))
    list_path = _save([1, 2], tmp_path / "list.ckpt", zip_format=True)
    with pytest.raises(CheckpointError, match="list.ckpt: expected a state_dict .* got list"):
        read_state_dict(list_path)
    with pytest.raises(CheckpointError, match="missing.ckpt does not exist"):
        read_state_dict(str(tmp_path / "missing.ckpt"))


def test_rejects_a_truncated_legacy_file(tmp_path):
    path = _save({"w": torch.zeros(100)}, tmp_path / "full.ckpt", zip_format=False)
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(open(path, "rb").read()[:-40])
    with pytest.raises(CheckpointError, match="truncated.ckpt: storage .* is truncated or corrupt"):
        read_state_dict(str(truncated))
