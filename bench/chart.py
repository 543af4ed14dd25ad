#!/usr/bin/env python3
"""Bar chart (SVG) of per-round ratios against hyper-floor from the harness's
JSON lines: one group per results file, one bar per client (median over the
rounds of client/floor in the same round; >1 = faster than the floor).

    python3 bench/chart.py OUT.svg "title A=results/a.jsonl" "title B=results/b.jsonl" ...

A label given as `file.jsonl:label=shown` renames a client in that group.
"""
import json
import statistics
import sys

METRIC = {"latency": "rps", "throughput": "rps", "bulk": "docs_per_s", "big": "mb_per_s", "big-typed": "mb_per_s"}


def ratios(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    by_round = {}
    for r in rows:
        m = METRIC[r.get("bench_mode", r["mode"])]
        by_round.setdefault(r["round"], {})[r["label"]] = r[m]
    out = {}
    for rnd in by_round.values():
        floor = rnd.get("hyper-floor")
        if not floor:
            continue
        for label, v in rnd.items():
            out.setdefault(label, []).append(v / floor)
    return {k: statistics.median(v) for k, v in out.items()}


def main():
    out, groups = sys.argv[1], []
    for arg in sys.argv[2:]:
        title, path = arg.split("=", 1)
        rename = {}
        if "::" in path:
            path, spec = path.split("::", 1)
            rename = dict(kv.split("=", 1) for kv in spec.split(","))
        groups.append((title, {rename.get(k, k): v for k, v in ratios(path).items()}))
    bar_h, gap, left, width = 16, 10, 260, 420
    scale = width / max(1.2, max(v for _, g in groups for v in g.values()) * 1.05)
    y = 40
    parts = []
    for title, g in groups:
        parts.append(f'<text x="10" y="{y + 12}" font-weight="bold">{title}</text>')
        y += 20
        for label, v in sorted(g.items(), key=lambda kv: (kv[0] != "hyper-floor", kv[0])):
            colour = "#888" if label == "hyper-floor" else ("#2a7" if "elastik" in label or label == "custom" else "#c84")
            parts.append(f'<text x="{left - 8}" y="{y + 12}" text-anchor="end">{label}</text>')
            parts.append(f'<rect x="{left}" y="{y}" width="{v * scale:.1f}" height="{bar_h}" fill="{colour}"/>')
            parts.append(f'<text x="{left + v * scale + 4:.1f}" y="{y + 12}">{v:.2f}x</text>')
            y += bar_h + 4
        y += gap
    one = left + scale
    parts.append(f'<line x1="{one:.1f}" y1="30" x2="{one:.1f}" y2="{y}" stroke="#000" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{one:.1f}" y="24" text-anchor="middle">floor = 1.0</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" height="{y + 10}" '
           f'font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="#fff"/>'
           + "".join(parts) + "</svg>\n")
    open(out, "w").write(svg)


if __name__ == "__main__":
    main()
