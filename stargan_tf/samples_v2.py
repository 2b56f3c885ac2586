"""StarGAN v2 sample grids like the paper's figures, drawn with the moving-average networks."""
import numpy as np

from stargan_tf.samples import to_uint8


def latent_grid(model, images, z_codes) -> np.ndarray:
    """uint8 grid: each row a source image, then its translation to every domain with each latent code.

    images [N,S,S,3] in [-1,1]; z_codes [M, latent_dim]: the same M codes for every row and domain, so a
    column shows one style code's effect across sources.
    """
    images = np.asarray(images, np.float32)
    count = len(images)
    columns = [images]
    for domain in range(len(model.domains)):
        domains = np.full([count], domain, np.int32)
        for z in np.asarray(z_codes, np.float32):
            columns.append(np.asarray(model.latent_guided(images, domains, np.tile(z[None], [count, 1]))))
    rows = np.concatenate(columns, axis=2)  # [N, S, (1 + K*M)*S, 3]
    return to_uint8(rows.reshape(-1, rows.shape[2], 3))


def reference_grid(model, sources, references, reference_domains) -> np.ndarray:
    """uint8 grid: the top row the reference images (after a blank corner), then one row per source: the source
    and its translation with each reference's style (the reference's domain is the target)."""
    sources = np.asarray(sources, np.float32)
    references = np.asarray(references, np.float32)
    reference_domains = np.asarray(reference_domains, np.int32)
    blank = np.full_like(sources[0], -1.0)
    rows = [np.concatenate([blank] + list(references), axis=1)]
    for source in sources:
        batch = np.repeat(source[None], len(references), axis=0)
        outputs = np.asarray(model.reference_guided(batch, references, reference_domains))
        rows.append(np.concatenate([source] + list(outputs), axis=1))
    return to_uint8(np.concatenate(rows, axis=0))
