"""Renders the fleet benchmark's Helm chart in process with Helm's template engine.

Run by `cargo bench --bench fleet` (benches/fleet/helm.rs writes the chart and the values
files) with the Python of a virtual environment holding `helm-python-sdk`, which binds Helm's
Go SDK (compiled into the shared library `libhelm_c`) through ctypes. `Chart.load` loads the
chart once; `Chart.render(values, name=..., namespace=...)` is the SDK's `helm_render`: Helm's
engine rendering the chart's templates with those values, as `helm template` does, without a
cluster.

Two measurements in this one process (after the floor: the median of 20 renders with no
tenants), timed with `time.perf_counter` around the calls, so the
interpreter's and the library's start-up are not counted:

1. each tenant of `--sample` alone: read its values file and parse it with Helm's values
   parser (`values_from_yaml`), then render the chart with it;
2. the first 25, 50, 100, ... tenants of `--fleet` at once (their values files parsed and
   their `tenants` lists joined into one values tree, then one render), doubling while the
   next render is predicted to fit `--budget` seconds, up to the whole list.

Writing the output to `--out` (for the benchmark's checksums) is not timed. Prints one JSON
object a line on stdout: `info`, `floor`, then `tenant` per sampled tenant, `fleet` per size, and
`stopped` if the budget ended the doubling.
"""

import argparse
import json
import math
import os
import resource
import sys
import time

import helm_python as helm

RELEASE = "governance"
NAMESPACE = "default"


def emit(event: dict) -> None:
    print(json.dumps(event), flush=True)


def read_values(directory: str, tenant: str) -> dict:
    with open(os.path.join(directory, f"{tenant}.yaml"), encoding="utf-8") as f:
        return helm.values_from_yaml(f.read())


def manifest(rendered: dict) -> str:
    """The rendered templates (here one, `templates/governance.yaml`) as one stream."""
    return "\n---\n".join(rendered[name] for name in sorted(rendered))


def write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def growth(points: list) -> float:
    """The exponent k of time ∝ tenants^k between the last two sizes (2 before two)."""
    if len(points) >= 2:
        (n0, t0), (n1, t1) = points[-2], points[-1]
        if n1 > n0 and t0 > 0 and t1 > 0:
            return max(1.0, math.log(t1 / t0) / math.log(n1 / n0))
    return 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chart", required=True, help="the chart directory")
    parser.add_argument("--values", required=True, help="directory of <tenant>.yaml values")
    parser.add_argument("--sample", required=True, help="file: tenants to render alone")
    parser.add_argument("--fleet", required=True, help="file: every tenant, in order")
    parser.add_argument("--out", required=True, help="directory for the rendered output")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds for the fleet")
    parser.add_argument("--start", type=int, default=25, help="the first fleet size")
    args = parser.parse_args()

    def names(path: str) -> list:
        with open(path, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip()]

    sample = names(args.sample)
    fleet = names(args.fleet)
    os.makedirs(os.path.join(args.out, "tenants"), exist_ok=True)

    start = time.perf_counter()
    chart = helm.Chart.load(args.chart)
    emit(
        {
            "event": "info",
            "python": sys.version.split()[0],
            "helm_c": helm.helm_c_version(),
            "helm_sdk": helm.helm_sdk_version(),
            "load": time.perf_counter() - start,
        }
    )

    # The floor of a call: a render with no tenants (Helm parses the chart's templates on
    # every render).
    floor = []
    for _ in range(20):
        t0 = time.perf_counter()
        chart.render({"tenants": []}, name=RELEASE, namespace=NAMESPACE)
        floor.append(time.perf_counter() - t0)
    floor.sort()
    emit({"event": "floor", "calls": len(floor), "median": floor[len(floor) // 2]})

    # 1. One tenant per call.
    for tenant in sample:
        t0 = time.perf_counter()
        values = read_values(args.values, tenant)
        t1 = time.perf_counter()
        rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE)
        t2 = time.perf_counter()
        output = os.path.join(args.out, "tenants", f"{tenant}.yaml")
        write(output, manifest(rendered))
        emit(
            {
                "event": "tenant",
                "tenant": tenant,
                "parse": t1 - t0,
                "render": t2 - t1,
                "output": output,
            }
        )

    # 2. The first n tenants in one call.
    size = min(args.start, len(fleet))
    spent = 0.0
    points = []
    while size > 0:
        t0 = time.perf_counter()
        tenants = []
        for tenant in fleet[:size]:
            tenants.extend(read_values(args.values, tenant)["tenants"])
        t1 = time.perf_counter()
        rendered = chart.render({"tenants": tenants}, name=RELEASE, namespace=NAMESPACE)
        t2 = time.perf_counter()
        del tenants
        output = os.path.join(args.out, f"fleet-{size}.yaml")
        write(output, manifest(rendered))
        del rendered
        emit(
            {
                "event": "fleet",
                "tenants": size,
                "parse": t1 - t0,
                "render": t2 - t1,
                "output": output,
                "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
        spent += t2 - t0
        points.append((size, t2 - t0))
        if size == len(fleet):
            break
        following = min(size * 2, len(fleet))
        predicted = (t2 - t0) * (following / size) ** growth(points)
        if spent + predicted > args.budget:
            emit(
                {
                    "event": "stopped",
                    "next": following,
                    "predicted": predicted,
                    "left": max(0.0, args.budget - spent),
                }
            )
            break
        size = following


if __name__ == "__main__":
    main()
