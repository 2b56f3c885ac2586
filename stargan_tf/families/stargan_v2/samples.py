"""StarGAN v2 sample grids like the paper's figures, drawn with the moving-average networks."""
import numpy as np

from stargan_tf.core.grids import tile_grid, to_uint8


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
    return to_uint8(tile_grid(np.stack(columns, axis=1)))


def reference_tiles(sources, references, outputs) -> np.ndarray:
    """uint8 tiles [1+N, 1+R, S,S,3] of a reference grid: a black corner and the R references on top, then each
    source followed by its outputs [N, R, S,S,3] (uint8 images throughout)."""
    top = np.concatenate([np.zeros_like(references[:1]), references])[None]
    rows = np.concatenate([np.asarray(sources)[:, None], np.asarray(outputs)], axis=1)
    return np.concatenate([top, rows])


def reference_grid(model, sources, references, reference_domains) -> np.ndarray:
    """uint8 grid: the top row the reference images (after a blank corner), then one row per source: the source
    and its translation with each reference's style (the reference's domain is the target)."""
    sources = np.asarray(sources, np.float32)
    references = np.asarray(references, np.float32)
    reference_domains = np.asarray(reference_domains, np.int32)
    outputs = [np.asarray(model.reference_guided(np.repeat(source[None], len(references), axis=0), references,
                                                 reference_domains)) for source in sources]
    return tile_grid(reference_tiles(to_uint8(sources), to_uint8(references), to_uint8(outputs)))
