"""StarGAN v2 sample grids like the paper's figures, drawn with the moving-average networks."""
import numpy as np

from stargan_tf.core.grids import BACKGROUND, labelled_grid, to_uint8


def draw_latent_grid(sources, outputs, domain_names, num_styles: int, row_names=None) -> np.ndarray:
    """uint8 labelled grid: a row per source (uint8 [N,S,S,3]), then its outputs [N, D*num_styles, S,S,3]: each
    domain's name over its num_styles columns, 'style i' over each; row_names (N) left of the rows if given."""
    tiles = np.concatenate([np.asarray(sources)[:, None], np.asarray(outputs)], axis=1)
    styles = [f"style {i + 1}" for i in range(num_styles)]
    return labelled_grid(tiles, ["source"] + styles * len(domain_names), row_names,
                         column_groups=[("", 1)] + [(name, num_styles) for name in domain_names])


def latent_grid(model, images, z_codes) -> np.ndarray:
    """uint8 labelled grid: each row a source image, then its translation to every domain with each latent code.

    images [N,S,S,3] in [-1,1]; z_codes [M, latent_dim]: the same M codes for every row and domain, so a
    column shows one style code's effect across sources.
    """
    images = np.asarray(images, np.float32)
    count = len(images)
    outputs = []
    for domain in range(len(model.domains)):
        domains = np.full([count], domain, np.int32)
        for z in np.asarray(z_codes, np.float32):
            outputs.append(np.asarray(model.latent_guided(images, domains, np.tile(z[None], [count, 1]))))
    return draw_latent_grid(to_uint8(images), to_uint8(np.stack(outputs, axis=1)), model.domains, len(z_codes))


def reference_tiles(sources, references, outputs) -> np.ndarray:
    """uint8 tiles [1+N, 1+R, S,S,3] of a reference grid: a black corner and the R references on top, then each
    source followed by its outputs [N, R, S,S,3] (uint8 images throughout)."""
    top = np.concatenate([np.zeros_like(references[:1]), references])[None]
    rows = np.concatenate([np.asarray(sources)[:, None], np.asarray(outputs)], axis=1)
    return np.concatenate([top, rows])


def draw_reference_grid(sources, references, outputs, reference_names, row_names=None) -> np.ndarray:
    """uint8 labelled grid of reference_tiles: the row of references (named: their domain, the outputs' domain),
    then a row per source (named by row_names if given); the corner where the 'reference' row meets the 'source'
    column left empty."""
    tiles = reference_tiles(sources, references, outputs)
    tiles[0, 0] = BACKGROUND
    return labelled_grid(tiles, ["source"] + list(reference_names), row_names=["reference"] + list(row_names or [""] * len(sources)))


def reference_grid(model, sources, references, reference_domains) -> np.ndarray:
    """uint8 labelled grid: the top row the reference images, then one row per source: the source and its
    translation with each reference's style (the reference's domain, named above, is the target)."""
    sources = np.asarray(sources, np.float32)
    references = np.asarray(references, np.float32)
    reference_domains = np.asarray(reference_domains, np.int32)
    outputs = [np.asarray(model.reference_guided(np.repeat(source[None], len(references), axis=0), references,
                                                 reference_domains)) for source in sources]
    return draw_reference_grid(to_uint8(sources), to_uint8(references), to_uint8(outputs),
                               [model.domains[domain] for domain in reference_domains])
