"""PyTorch peer for the tapegrad benchmark.

Reads {"minMs": float, "threads": int, "matmul": [case...], "elementwise": [case...], "epoch": spec} as JSON on
stdin, prints {"info": {...}, "matmul": [{"case", "ms"}...], "elementwise": [...], "epoch": {...}} as JSON on stdout.
Threads: the caller sets OPENBLAS_NUM_THREADS to "threads" (default 1) and we call torch.set_num_threads with it.
"""
import gzip
import json
import os
import struct
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


def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def load_data(spec):
    """Fashion-MNIST from spec['dataDir'] when given, else synthetic data of the same shape."""
    n = spec.get('samples', 60000)
    if spec.get('dataDir'):
        d = spec['dataDir']
        x = read_idx(os.path.join(d, 'train-images-idx3-ubyte.gz')).reshape(-1, 784).float() / 255
        y = read_idx(os.path.join(d, 'train-labels-idx1-ubyte.gz')).long()
        return x[:n].contiguous(), y[:n].contiguous()
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 784, generator=g), torch.randint(0, 10, (n,), generator=g)


def epochs(spec):
    """The MLP epoch workload: 784-H...-10 (hidden: one size or a list), ReLU, softmax cross-entropy, Adam,
    shuffled minibatches, in float32 or (dtype "float64") float64."""
    x, y = load_data(spec)
    torch.manual_seed(0)
    hidden = spec['hidden'] if isinstance(spec['hidden'], list) else [spec['hidden']]
    layers, width = [], 784
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, 10))
    if spec.get('dtype') == 'float64':
        model = model.double()
        x = x.double()
    opt = torch.optim.Adam(model.parameters(), lr=spec['lr'])
    loss_fn = torch.nn.CrossEntropyLoss()
    bs = spec['batchSize']
    times, losses = [], []
    for _ in range(spec['epochs']):
        t0 = time.perf_counter()
        perm = torch.randperm(x.shape[0])
        total = 0.0
        for i in range(0, x.shape[0], bs):
            idx = perm[i:i + bs]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * idx.shape[0]
        times.append(time.perf_counter() - t0)
        losses.append(total / x.shape[0])
    return {'seconds': times, 'loss': losses}


def main():
    spec = json.load(sys.stdin)
    torch.set_num_threads(spec.get('threads', 1))
    torch.manual_seed(0)
    config = torch.__config__.show()
    blas = [line.strip() for line in config.splitlines() if 'BLAS' in line or 'LAPACK' in line]
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))  # make sure the BLAS library is loaded
    loaded = ''
    try:
        with open('/proc/self/maps') as f:
            libs = sorted({line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line})
        loaded = ', '.join(libs)
    except OSError:
        pass
    info = {
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'blas': loaded or '; '.join(blas) or 'unknown',
        'openblas': 'openblas' in (loaded or config).lower(),
    }
    min_ms = spec.get('minMs', 400)
    out = {'info': info, 'matmul': [], 'elementwise': []}
    for c in spec.get('matmul', []):
        a = torch.randn(c['k'], c['m']).t() if c['transA'] else torch.randn(c['m'], c['k'])
        b = torch.randn(c['n'], c['k']).t() if c['transB'] else torch.randn(c['k'], c['n'])
        out['matmul'].append({'case': c['name'], 'ms': measure(lambda: torch.matmul(a, b), min_ms)})
    for c in spec.get('elementwise', []):
        cols = c.get('cols')
        x = torch.randn(c['size'] // cols, cols) if cols else torch.randn(c['size'])
        y = torch.randn(cols) if cols else torch.randn(c['size'])
        fn = (lambda: torch.add(x, y)) if c['op'] == 'add' else (lambda: torch.sum(x))
        out['elementwise'].append({'case': c['name'], 'ms': measure(fn, min_ms)})
    if spec.get('epoch'):
        out['epoch'] = epochs(spec['epoch'])
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
