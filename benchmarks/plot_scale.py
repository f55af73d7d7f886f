"""The scaling curve of ``bench_scale.py``'s figures as an SVG (no plotting library needed).

    .venv/bin/python benchmarks/plot_scale.py FIGURES.json docs/scale.svg
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

WIDTH, HEIGHT, PAD = 560, 340, 60


def _series(rows: list[dict]) -> dict[str, list[tuple[int, float]]]:
    quietest: dict[int, dict] = {}
    for row in rows:  # one point per size: the run at the lowest load (a loaded machine measures its queue)
        if row["firms"] not in quietest or row.get("load_average", 0) < quietest[row["firms"]].get("load_average", 0):
            quietest[row["firms"]] = row
    rows = list(quietest.values())
    written = [(r["firms"], r["list_seconds"]) for r in rows if "list_seconds" in r]
    gathered = [(r["firms"], r["dask_seconds"]) for r in rows if "dask_seconds" in r]
    pandas = [(r["firms"], r["pandas"]["seconds"]) for r in rows if r.get("pandas") and "seconds" in r["pandas"]]
    # CPU seconds (workers + client): on a shared machine the wall time measures the other jobs too
    cpu = [(r["firms"], r["list_worker_cpu_seconds"] + r["list_client_cpu_seconds"]) for r in rows
           if "list_worker_cpu_seconds" in r]
    return {"Dask, list written by the workers (wall)": sorted(written),
            "Dask, list gathered by the client (wall)": sorted(gathered),
            "pandas, 1 process (wall)": sorted(pandas),
            "Dask, written: CPU seconds of workers and client": sorted(cpu)}


def svg(rows: list[dict]) -> str:
    """Both axes on log scales, so that linear growth is a line of slope one (the dotted guide,
    drawn through the smallest size's time of the list written by the workers)."""
    series = _series(rows)
    points = [p for s in series.values() for p in s]
    xs = [math.log10(x) for x, _ in points]
    ys = [math.log10(max(y, 0.1)) for _, y in points]
    x0, x1 = min(xs) - 0.1, max(xs) + 0.1
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))

    def at(x: float, y: float) -> tuple[float, float]:
        return (PAD + (math.log10(x) - x0) / (x1 - x0) * (WIDTH - 2 * PAD),
                HEIGHT - PAD - (math.log10(max(y, 0.1)) - y0) / (y1 - y0) * (HEIGHT - 2 * PAD))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="black"/>',
             f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="black"/>',
             f'<text x="{WIDTH / 2}" y="{HEIGHT - 15}" text-anchor="middle">firms (log scale)</text>',
             f'<text x="15" y="{HEIGHT / 2}" transform="rotate(-90 15 {HEIGHT / 2})" text-anchor="middle">'
             'seconds, features + scoring (log scale)</text>']
    for firms in sorted({x for x, _ in points}):
        x, _ = at(firms, 1)
        parts.append(f'<text x="{x:.0f}" y="{HEIGHT - PAD + 16}" text-anchor="middle">{firms:,}</text>')
    for power in range(y0, y1 + 1):
        _, y = at(10 ** x0, 10.0 ** power)
        parts.append(f'<text x="{PAD - 6}" y="{y + 4:.0f}" text-anchor="end">{10.0 ** power:g}</text>')
    written = next(iter(series.values()))
    if written:  # the linear guide: time proportional to firms, through the smallest size
        (fx, fy), last = written[0], max(x for x, _ in points)
        (ax, ay), (bx, by) = at(fx, fy), at(last, fy * last / fx)
        parts.append(f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" stroke="grey" stroke-dasharray="4 4"/>')
        parts.append(f'<text x="{bx - 4:.1f}" y="{by - 6:.1f}" fill="grey" text-anchor="end">linear</text>')
    for (name, values), colour, row in zip(series.items(), ("#c0392b", "#e67e22", "#2c3e50", "#27ae60"), (0, 1, 2, 3),
                                           strict=False):
        if not values:
            continue
        path = " ".join(f"{'M' if i == 0 else 'L'}{at(x, y)[0]:.1f},{at(x, y)[1]:.1f}" for i, (x, y) in enumerate(values))
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [f'<circle cx="{at(x, y)[0]:.1f}" cy="{at(x, y)[1]:.1f}" r="3" fill="{colour}"/>' for x, y in values]
        parts.append(f'<text x="{PAD + 10}" y="{PAD + 14 * row}" fill="{colour}">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


if __name__ == "__main__":
    rows = json.loads(Path(sys.argv[1]).read_text())
    Path(sys.argv[2]).parent.mkdir(parents=True, exist_ok=True)
    Path(sys.argv[2]).write_text(svg(rows))
