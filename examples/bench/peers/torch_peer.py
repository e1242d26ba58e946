"""PyTorch peer for the tapegrad benchmark.

Reads {"minMs": float, "matmul": [case...], "elementwise": [case...]} as JSON on stdin, prints
{"info": {...}, "matmul": [{"case", "ms"}...], "elementwise": [...]} as JSON on stdout.
Single-threaded: the caller sets OPENBLAS_NUM_THREADS=1 and we call torch.set_num_threads(1).
"""
import json
import sys
import time

import torch


def measure(fn, min_ms):
    t0 = time.perf_counter()
    fn()
    first = (time.perf_counter() - t0) * 1e3
    if first > min_ms:
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e3
    per_batch = max(1, int(min_ms / 8 / max(first, 1e-3)) + 1)
    samples = []
    start = time.perf_counter()
    while len(samples) < 3 or (time.perf_counter() - start) * 1e3 < min_ms:
        t0 = time.perf_counter()
        for _ in range(per_batch):
            fn()
        samples.append((time.perf_counter() - t0) * 1e3 / per_batch)
        if len(samples) > 200:
            break
    samples.sort()
    return samples[len(samples) // 2]


def main():
    spec = json.load(sys.stdin)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = torch.__config__.show()
    blas = [line.strip() for line in config.splitlines() if 'BLAS' in line or 'LAPACK' in line]
    info = {
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'blas': '; '.join(blas) or 'unknown',
        'openblas': 'openblas' in config.lower(),
    }
    min_ms = spec.get('minMs', 400)
    out = {'info': info, 'matmul': [], 'elementwise': []}
    for c in spec.get('matmul', []):
        a = torch.randn(c['k'], c['m']).t() if c['transA'] else torch.randn(c['m'], c['k'])
        b = torch.randn(c['n'], c['k']).t() if c['transB'] else torch.randn(c['k'], c['n'])
        out['matmul'].append({'case': c['name'], 'ms': measure(lambda: torch.matmul(a, b), min_ms)})
    for c in spec.get('elementwise', []):
        x = torch.randn(c['size'])
        y = torch.randn(c['size'])
        fn = (lambda: torch.add(x, y)) if c['op'] == 'add' else (lambda: torch.sum(x))
        out['elementwise'].append({'case': c['name'], 'ms': measure(fn, min_ms)})
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
