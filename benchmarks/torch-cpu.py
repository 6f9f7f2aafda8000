#!/usr/bin/python3
"""PyTorch CPU figures for the rows of issue 13's table, at 1 and 2 threads (the peer column of
benchmarks/cpu.bench.mjs's issue-13 rows; run: `/usr/bin/python3 benchmarks/torch-cpu.py [--threads 1,2]
[--json out.json]`). Needs Debian's python3-torch and libopenblas0-pthread; prints the BLAS that
torch is built with so the figures can be read against the right library."""
import argparse, json, os, platform, statistics, subprocess, sys, time

# BLAS and OpenMP size their thread pools when loaded, and torch.set_num_threads does not bound
# OpenBLAS's: each thread count runs in its own process with the pools' variables set.
if 'AIMODEL_TORCH_CHILD' not in os.environ:
    argv = sys.argv[1:]
    threads = argv[argv.index('--threads') + 1] if '--threads' in argv else '1,2'
    out = argv[argv.index('--json') + 1] if '--json' in argv else None
    merged = None
    for th in threads.split(','):
        env = dict(os.environ, AIMODEL_TORCH_CHILD='1', OMP_NUM_THREADS=th, OPENBLAS_NUM_THREADS=th, MKL_NUM_THREADS=th)
        args_child = [sys.executable, __file__, '--threads', th] + (['--json', f'{out}.{th}'] if out else [])
        subprocess.run(args_child, env=env, check=True)
        if out:
            part = json.load(open(f'{out}.{th}'))
            os.remove(f'{out}.{th}')
            if merged is None:
                merged = part
            else:
                for k, v in part['rows'].items():
                    merged['rows'].setdefault(k, {}).update(v)
    if out:
        json.dump(merged, open(out, 'w'), indent=1)
    sys.exit(0)

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--threads', default='1,2')
p.add_argument('--json')
args = p.parse_args()


def timeit(fn, warmup=3, samples=15, min_time=0.2):
    for _ in range(warmup):
        fn()
    times = []
    t_end = time.perf_counter() + min_time
    while len(times) < samples or (time.perf_counter() < t_end and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


torch.manual_seed(0)


def rows():
    out = []
    n = 4 * 1024 * 1024
    x, y, z = torch.randn(n), torch.randn(n), torch.randn(n)
    t = timeit(lambda: torch.relu(x * y + z))
    out.append(('relu(x·y + z), 4M floats', t, 'GB/s', 4 * 4 * n / t / 1e9))  # 3 reads + 1 write of the chain, as cpu.bench counts
    s = torch.randn(4096, 1024)
    t = timeit(lambda: torch.softmax(s, dim=-1))
    out.append(('softmax 4096×1024, last dim', t, 'GB/s', 2 * 4 * s.numel() / t / 1e9))
    for m in (128, 256, 512, 1024):
        a, b = torch.randn(m, m), torch.randn(m, m)
        t = timeit(lambda: a @ b)
        out.append((f'matmul {m}', t, 'GFLOP/s', 2 * m**3 / t / 1e9))
    xc, wc = torch.randn(8, 64, 32, 32), torch.randn(64, 64, 3, 3)
    t = timeit(lambda: F.conv2d(xc, wc, padding=1))
    out.append(('conv2d x[8,64,32,32] w[64,64,3,3]', t, 'GFLOP/s', 2 * 8 * 64 * 32 * 32 * 64 * 9 / t / 1e9))
    # the small CNN of issue 13: conv8-pool-conv16-pool-dense10, batch 64, cross-entropy, SGD
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 7 * 7, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    xb, yb = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad()
        F.cross_entropy(net(xb), yb).backward()
        opt.step()

    t = timeit(step)
    out.append(('small CNN training step, batch 64', t, 'samples/s', 64 / t))
    return out


report = {'machine': f'{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}',
          'blas': [l.strip() for l in torch.__config__.show().splitlines() if 'BLAS' in l or 'LAPACK' in l or 'oneDNN' in l or 'MKL' in l],
          'rows': {}}
if args.threads.split(',')[0] == '1':
    print(report['machine'])
    for line in report['blas']:
        print('  ', line[:200])
for th in [int(v) for v in args.threads.split(',')]:
    torch.set_num_threads(th)
    for name, t, unit, rate in rows():
        report['rows'].setdefault(name, {})[th] = {'ms': t * 1e3, unit: rate}
        print(f'{th} thread(s) | {name} | {t * 1e3:.3f} ms | {rate:,.2f} {unit}')
if args.json:
    json.dump(report, open(args.json, 'w'), indent=1)
