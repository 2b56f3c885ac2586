"""The evaluation report: written as JSON, printed as a table (real-image accuracy, then translations)."""
from __future__ import annotations

import json
import os


def write_report(report: dict, path: str) -> None:
    """Writes the report as indented JSON, atomically (a crash never leaves half a report)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)


def _percent(value) -> str:
    return "-" if value is None else f"{100.0 * value:.2f}%"


def format_table(report: dict) -> str:
    """The report as a plain-text table, one row per (source dataset, target dataset), then per target (a StarGAN
    v2 report: see format_table_v2)."""
    if report.get("model") == "stargan_v2":
        return format_table_v2(report)
    frechet = report.get("frechet_name", "FD")
    lines = [f"checkpoint {report.get('checkpoint', '?')} (iteration {report.get('iteration', '?')}, "
             f"{report.get('image_size', '?')}px)", "",
             f"{'images':<24}{'targets':<10}{'accuracy':>10}{'error':>10}{'preserved':>11}{'rec L1':>9}"]
    for dataset, real in report["real"].items():
        lines.append(f"{'real ' + dataset + ' (' + str(real['images']) + ')':<24}{dataset:<10}"
                     f"{_percent(real['accuracy']):>10}{_percent(1.0 - real['accuracy']):>10}{'-':>11}{'-':>9}")
    for source, translation in report["translation"].items():
        for target_dataset, summary in translation["by_target_dataset"].items():
            label = f"{source} -> {target_dataset}" + (" (cross)" if target_dataset != source else "")
            lines.append(f"{label:<24}{target_dataset:<10}{_percent(summary['accuracy']):>10}"
                         f"{_percent(summary['error']):>10}{_percent(summary.get('preservation')):>11}"
                         f"{translation['reconstruction_l1']:>9.4f}")
    lines += ["", "per target domain (accuracy / preservation):"]
    for source, translation in report["translation"].items():
        cells = [f"{score['target']} {_percent(score['accuracy'])}"
                 + (f" / {_percent(score['preservation'])}" if "preservation" in score else "")
                 for score in translation["targets"]]
        lines.append(f"  {source}: " + ", ".join(cells))
    lines += ["", f"{frechet} per target domain (real training images vs translations; lower is closer):"]
    for source, translation in report["translation"].items():
        lines.append(f"  {source}: " + ", ".join(f"{domain} {value:.2f}"
                                                  for domain, value in translation["frechet"].items()))
    lines += ["", "classifier accuracy on real images per label:"]
    for dataset, real in report["real"].items():
        lines.append(f"  {dataset}: " + ", ".join(f"{name} {_percent(value)}"
                                                   for name, value in real["per_label"].items()))
    return "\n".join(lines)


def _number(value, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_table_v2(report: dict) -> str:
    """A StarGAN v2 report as a table: real-image accuracy, then per guidance mode one row per target domain and
    the mean over tasks, then every task on one line."""
    frechet = report.get("frechet_name", "FD")
    columns = [("accuracy", "accuracy", _percent), ("frechet", frechet, lambda v: _number(v, 2))]
    if report.get("lpips_weights"):
        columns.append(("lpips", "LPIPS", _number))
    columns += [("feature_diversity", "feature div", _number), ("pixel_diversity", "pixel L1 div", _number)]
    real = report["real"]
    lines = [f"checkpoint {report.get('checkpoint', '?')} (iteration {report.get('iteration', '?')}, "
             f"{report.get('image_size', '?')}px): {report.get('num_outs', '?')} outputs per source image and task",
             f"{frechet}: {report.get('frechet_features', '?')}; feature div: mean pairwise distance of the same "
             "features, unit-normalised" + ("" if report.get("lpips_weights") else
                                            "; LPIPS: not computed (no --lpips_weights / --alexnet_weights)"), "",
             f"real validation images ({real['images']}): accuracy {_percent(real['accuracy'])} ("
             + ", ".join(f"{name} {_percent(value)}" for name, value in real["per_label"].items()) + "); "
             f"{frechet} to the training images: "
             + ", ".join(f"{name} {value:.2f}" for name, value in real.get("frechet", {}).items()), "",
             f"{'mode':<11}{'target':<16}" + "".join(f"{title:>14}" for _, title, _ in columns)]
    for mode in ("latent", "reference"):
        rows = list(report[mode]["per_target"].items()) + [("mean of tasks", report[mode]["mean"])]
        for target, figures in rows:
            lines.append(f"{mode:<11}{target:<16}"
                         + "".join(f"{show(figures.get(key)):>14}" for key, _, show in columns))
    lines += ["", "per task (source2target): " + " / ".join(title for _, title, _ in columns)]
    for mode in ("latent", "reference"):
        lines.append(f"  {mode}: " + ", ".join(
            f"{task} " + " / ".join(show(figures.get(key)) for key, _, show in columns)
            for task, figures in report[mode]["tasks"].items()))
    return "\n".join(lines)
