"""PyTorch side of Kiln's benchmark (bench/run.ts runs it with Debian's /usr/bin/python3 and python3-torch).

Modes (each prints progress, then one line `BENCH_JSON {...}`):
  export  load Kiln's weights (safetensors from bench/kiln-weights.ts) into the same architecture in
          PyTorch, report max |logit difference| against Kiln's logits on 256 test images, and export the
          model to ONNX (opset 13, dynamic batch) for onnxruntime-node.
  train   training samples/s of the reference CNN: --warmup untimed steps, then --reps x --steps timed
          steps (batch 64, Adam lr 1e-3, softmax cross-entropy, real shuffled Fashion-MNIST batches kept as
          uint8 and scaled per batch, as Kiln's loader does); peak RSS of the run.
  infer   inference with Kiln's weights, eval + no_grad: batch-1 latency (median over --b1-calls calls,
          input tensor creation and reading the logits back included) and batch-256 samples/s.
  int8    static post-training INT8 of the model bench/kiln-int8.ts trained (same weights): quantized engine
          onednn (qnnpack when onednn is missing), conv+relu and linear+relu fused, QuantStub/DeQuantStub, the
          engine's default qconfig, calibrated on the same first 1,000 training images, converted; reports
          float and INT8 test accuracy on the whole test split, then b1 latency and b256 samples/s as infer.
--max-rep-s / --max-b256-s cap one training / batch-256 repetition, so a loaded machine cannot stretch the run;
--min-b256-s makes a fast model's batch-256 repetition last at least that long (more calls than --b256-calls).

Threads: --threads N calls torch.set_num_threads(N); run.ts also sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS
(torch does not limit OpenBLAS' own pool) and OPENBLAS_CORETYPE=SkylakeX (OpenBLAS 0.3.21 otherwise picks
slow generic kernels on recent CPUs).

usage: /usr/bin/python3 bench/torch_bench.py export|train|infer|int8 [--threads 2 --steps 300 --reps 3 ...]
"""
import argparse
import gzip
import json
import os
import resource
import statistics
import struct
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "results", "work")
WEIGHTS = os.path.join(WORK, "cnn-small.safetensors")
KILN_LOGITS = os.path.join(WORK, "kiln-logits-256.bin")
TRAINED_WEIGHTS = os.path.join(WORK, "cnn-small-trained.safetensors")
TRAINED_LOGITS = os.path.join(WORK, "cnn-small-trained-logits-256.bin")
ONNX_FILE = os.path.join(WORK, "cnn-small.onnx")
FULL_DIR = "/usr/share/datasets/fashion-mnist"
SUBSET_DIR = os.path.join(os.path.dirname(HERE), "datasets", "fashion-mnist")
CHECK_IMAGES = 256
BATCH = 64
CALIBRATION_IMAGES = 1000


def emit(obj):
    print("BENCH_JSON " + json.dumps(dict(obj, noise=NOISE)), flush=True)


def log(line):
    print(line, flush=True)


# ---------------------------------------------------------------- data

def data_dir():
    env = os.environ.get("FMNIST_DIR")
    if env:
        return env
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    full = all(os.path.exists(os.path.join(FULL_DIR, n + ".gz")) or os.path.exists(os.path.join(FULL_DIR, n)) for n in names)
    return FULL_DIR if full else SUBSET_DIR


def read_idx(directory, name):
    gz = os.path.join(directory, name + ".gz")
    if os.path.exists(gz):
        with gzip.open(gz, "rb") as f:
            raw = f.read()
    else:
        with open(os.path.join(directory, name), "rb") as f:
            raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(split):
    """uint8 images [N, 1, 28, 28] and int64 labels [N]."""
    prefix = "train" if split == "train" else "t10k"
    d = data_dir()
    x = read_idx(d, prefix + "-images-idx3-ubyte").reshape(-1, 1, 28, 28)
    y = read_idx(d, prefix + "-labels-idx1-ubyte").astype(np.int64)
    return x, y


def test_float():
    x, y = load_split("test")
    return (x.astype(np.float32) / np.float32(255)), y


# ---------------------------------------------------------------- model

def make_net():
    """The reference CNN as nn.Sequential, so its state-dict names are Kiln's (0.weight, 3.weight, 7.weight, 9.weight)."""
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {entry['dtype']}, expected F32")
        start, end = entry["data_offsets"]
        out[name] = np.frombuffer(raw, dtype="<f4", count=(end - start) // 4, offset=8 + n + start).reshape(entry["shape"]).copy()
    return out


def kiln_net(weights=WEIGHTS):
    import torch
    net = make_net()
    state = {k: torch.from_numpy(v) for k, v in read_safetensors(weights).items()}
    net.load_state_dict(state, strict=True)
    net.eval()
    return net


def diff_vs_kiln(logits, reference=KILN_LOGITS):
    if not os.path.exists(reference):
        return None
    ref = np.fromfile(reference, dtype="<f4").reshape(-1, 10)
    return float(np.abs(logits.astype(np.float32) - ref).max())


# ---------------------------------------------------------------- noise control (same protocol as bench/common.ts)

def _env_float(name, default):
    try:
        return float(os.environ.get(name, ""))
    except ValueError:
        return default


def _busy_seconds():
    with open("/proc/stat") as f:
        v = [int(t) for t in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


NOISE = dict(budgetS=_env_float("BENCH_NOISE_BUDGET_S", 120.0), spentS=0.0, waitedS=0.0, redone=0, noisyKept=0)


def wait_quiet(thresh=0.25, window=0.3):
    if not os.path.exists("/proc/stat"):
        return
    t0 = time.time()
    max_wait = _env_float("BENCH_QUIET_MAX_WAIT_S", 30.0)
    while True:
        b0 = _busy_seconds()
        time.sleep(window)
        cores = (_busy_seconds() - b0) / window
        waited = time.time() - t0
        if cores < thresh or waited > max_wait or NOISE["spentS"] + waited > NOISE["budgetS"]:
            NOISE["spentS"] += waited
            NOISE["waitedS"] += waited
            return


def _own_cpu():
    t = os.times()
    return t.user + t.system


def measure_quiet(fn):
    """Wait for a quiet machine, run fn, redo it while other processes were busy and attempts and budget last."""
    tries = max(1, int(_env_float("BENCH_QUIET_TRIES", 3)))
    max_foreign = _env_float("BENCH_QUIET_MAX_FOREIGN", 0.3)
    have_proc = os.path.exists("/proc/stat")
    attempt = 0
    while True:
        attempt += 1
        wait_quiet()
        b0 = _busy_seconds() if have_proc else 0.0
        o0 = _own_cpu()
        t0 = time.perf_counter()
        result = fn()
        wall = time.perf_counter() - t0
        foreign = max(0.0, ((_busy_seconds() - b0) - (_own_cpu() - o0)) / wall) if have_proc and wall > 0 else 0.0
        noisy = foreign > max_foreign
        if not noisy or attempt >= tries or NOISE["spentS"] + wall > NOISE["budgetS"]:
            if noisy:
                NOISE["noisyKept"] += 1
            return result, foreign, attempt
        NOISE["spentS"] += wall
        NOISE["redone"] += 1


def repeat(reps, label, unit, fn, kept=lambda: None):
    """reps kept repetitions of fn under measure_quiet; kept() runs after each kept one."""
    values, foreign, attempts = [], [], []
    for r in range(reps):
        v, fc, att = measure_quiet(fn)
        kept()
        values.append(v); foreign.append(fc); attempts.append(att)
        log(f"{label} rep {r + 1}/{reps}: {v:,.3f} {unit} (other processes: {fc:.2f} cores, attempts {att})")
    return dict(median=statistics.median(values), reps=values, foreignCores=foreign, attempts=attempts)


def rss_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def env_info(threads):
    import torch
    info = dict(python=sys.version.split()[0], torch=torch.__version__, numpy=np.__version__, threads=threads,
                torch_num_threads=torch.get_num_threads())
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        info[k] = os.environ.get(k)
    return info


# ---------------------------------------------------------------- modes

def mode_export(a):
    import torch
    net = kiln_net()
    xt, _ = test_float()
    with torch.no_grad():
        logits = net(torch.from_numpy(xt[:CHECK_IMAGES])).numpy()
    diff = diff_vs_kiln(logits)
    log(f"PyTorch with Kiln's weights: max |logit - Kiln| on {CHECK_IMAGES} test images = {diff}")
    os.makedirs(WORK, exist_ok=True)
    if os.path.exists(ONNX_FILE):
        os.remove(ONNX_FILE)
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), ONNX_FILE, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    checker = "onnx python package missing (apt-get install -y python3-onnx): not checked"
    ops = None
    try:
        import onnx
        m = onnx.load(ONNX_FILE)
        onnx.checker.check_model(m, full_check=True)
        checker = f"ok (onnx {onnx.__version__})"
        ops = [n.op_type for n in m.graph.node]
    except ImportError:
        pass
    log(f"exported {ONNX_FILE}: checker {checker}; ops {ops}")
    emit(dict(onnx=ONNX_FILE, checker=checker, ops=ops, maxAbsLogitDiffVsKiln=diff, env=env_info(torch.get_num_threads())))


def mode_train(a):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(a.threads)
    baseline = rss_mib("VmRSS")
    torch.manual_seed(0)
    x, y = load_split("train")
    X = torch.from_numpy(np.ascontiguousarray(x))
    Y = torch.from_numpy(y)
    n = len(X)
    nb = n // BATCH
    net = make_net()
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    state = dict(batch=0, perm=torch.randperm(n))

    def step():
        if state["batch"] == nb:
            state["batch"], state["perm"] = 0, torch.randperm(n)
        idx = state["perm"][state["batch"] * BATCH:(state["batch"] + 1) * BATCH]
        state["batch"] += 1
        xb = X[idx].float().div_(255.0)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(xb), Y[idx])
        loss.backward()
        opt.step()
        return loss

    for _ in range(a.warmup):
        step()
    last = {}

    timed_steps = []

    def timed():
        t0 = time.perf_counter()
        done = 0
        while done < a.steps and (done < 5 or time.perf_counter() - t0 < a.max_rep_s):
            loss = step()
            done += 1
        last["loss"] = loss.item()
        last["done"] = done
        return done * BATCH / (time.perf_counter() - t0)

    sps = repeat(a.reps, f"pytorch train t{a.threads}", "samples/s", timed, kept=lambda: timed_steps.append(last["done"]))
    peak = rss_mib("VmHWM")
    log(f"median {sps['median']:.1f} samples/s; loss {last['loss']:.3f}; peak RSS {peak:.0f} MiB")
    emit(dict(threads=a.threads, steps=a.steps, timedSteps=timed_steps, warmup=a.warmup, batch=BATCH, samplesPerSecond=sps, loss=last["loss"],
              peakRssMiB=peak, baselineRssMiB=baseline, trainImages=n, env=env_info(a.threads)))


def time_inference(a, net, xt, label):
    """b1 latency (median of --b1-calls calls) and b256 samples/s of net, each --reps times, after a warm-up."""
    import torch
    n = len(xt)
    with torch.no_grad():
        for i in range(50):
            net(torch.from_numpy(xt[i:i + 1])).numpy()
        for _ in range(3):
            net(torch.from_numpy(xt[:256])).numpy()

        def b1():
            ts = []
            for i in range(a.b1_calls):
                t0 = time.perf_counter()
                net(torch.from_numpy(xt[i % n:i % n + 1])).numpy()
                ts.append(time.perf_counter() - t0)
            return statistics.median(ts) * 1e3

        def b256():
            t0 = time.perf_counter()
            calls = 0
            while (calls < a.b256_calls or time.perf_counter() - t0 < a.min_b256_s) and (calls < 3 or time.perf_counter() - t0 < a.max_b256_s):
                net(torch.from_numpy(xt[:256])).numpy()
                calls += 1
            return 256 * calls / (time.perf_counter() - t0)

        lat = repeat(a.reps, f"{label} b1", "ms", b1)
        thr = repeat(a.reps, f"{label} b256", "samples/s", b256)
    return lat, thr


def mode_infer(a):
    import torch
    torch.set_num_threads(a.threads)
    net = kiln_net()
    xt, _ = test_float()
    with torch.no_grad():
        diff = diff_vs_kiln(net(torch.from_numpy(xt[:CHECK_IMAGES])).numpy())
    lat, thr = time_inference(a, net, xt, f"pytorch t{a.threads}")
    log(f"median: b1 {lat['median']:.3f} ms, b256 {thr['median']:.0f} samples/s; max |logit - Kiln| {diff}")
    emit(dict(threads=a.threads, b1Calls=a.b1_calls, b256Calls=a.b256_calls, b1Ms=lat, b256SamplesPerSecond=thr,
              maxAbsLogitDiffVsKiln=diff, env=env_info(a.threads)))


def quantized_engine():
    """onednn (x86 with VNNI/AMX), else qnnpack; fbgemm is not built into Debian's torch. The reason when neither is there."""
    import torch
    engines = torch.backends.quantized.supported_engines
    for engine, note in (("onednn", "onednn"), ("qnnpack", "qnnpack (onednn unavailable in this torch build)")):
        if engine in engines:
            return engine, note
    raise RuntimeError(f"no x86 quantized engine: this torch supports {engines}, neither onednn nor qnnpack")


def mode_int8(a):
    import torch
    import torch.nn as nn
    from torch.ao.quantization import DeQuantStub, QuantStub, convert, fuse_modules, get_default_qconfig, prepare
    torch.set_num_threads(a.threads)
    engine, engine_note = quantized_engine()
    torch.backends.quantized.engine = engine
    net = kiln_net(TRAINED_WEIGHTS)
    xt, yt = test_float()
    XT = torch.from_numpy(xt)
    xc, _ = load_split("train")
    calibration = torch.from_numpy(xc[:CALIBRATION_IMAGES].astype(np.float32) / np.float32(255))

    def predictions(m):
        with torch.no_grad():
            return torch.cat([m(XT[i:i + 500]).argmax(1) for i in range(0, len(XT), 500)]).numpy()

    with torch.no_grad():
        diff = diff_vs_kiln(net(XT[:CHECK_IMAGES]).numpy(), TRAINED_LOGITS)
    fp32_pred = predictions(net)

    # Names are nn.Sequential's: conv 0 + relu 1, conv 3 + relu 4, linear 7 + relu 8.
    fused = fuse_modules(net, [["0", "1"], ["3", "4"], ["7", "8"]])
    q = nn.Sequential(QuantStub(), fused, DeQuantStub()).eval()
    qconfig = get_default_qconfig(engine)
    q.qconfig = qconfig
    prepare(q, inplace=True)
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(calibration), 256):  # Kiln's calibration runs in batches of 256 as well
            q(calibration[i:i + 256])
    convert(q, inplace=True)
    quantize_s = time.perf_counter() - t0
    int8_pred = predictions(q)
    fp32_acc = float((fp32_pred == yt).mean())
    int8_acc = float((int8_pred == yt).mean())
    log(f"engine {engine_note}: fp32 accuracy {fp32_acc * 100:.2f} %, int8 {int8_acc * 100:.2f} % "
        f"(drop {(fp32_acc - int8_acc) * 100:.2f} points); max |logit - Kiln fp32| {diff}")
    lat, thr = time_inference(a, q, xt, f"pytorch int8 {engine} t{a.threads}")
    log(f"median: b1 {lat['median']:.3f} ms, b256 {thr['median']:.0f} samples/s")
    emit(dict(threads=a.threads, engine=engine, engineNote=engine_note, qconfig=str(qconfig),
              supportedEngines=list(torch.backends.quantized.supported_engines), calibrationImages=len(calibration),
              quantizeSeconds=quantize_s, fp32Accuracy=fp32_acc, int8Accuracy=int8_acc, dropPoints=(fp32_acc - int8_acc) * 100,
              agreementWithFp32=float((fp32_pred == int8_pred).mean()), testImages=len(yt), maxAbsLogitDiffVsKiln=diff,
              b1Calls=a.b1_calls, b256Calls=a.b256_calls, minB256S=a.min_b256_s, b1Ms=lat, b256SamplesPerSecond=thr,
              env=env_info(a.threads)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["export", "train", "infer", "int8"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--b1-calls", type=int, default=500)
    ap.add_argument("--b256-calls", type=int, default=40)
    ap.add_argument("--max-rep-s", type=float, default=float("inf"), help="a training repetition ends after this (>= 5 steps)")
    ap.add_argument("--max-b256-s", type=float, default=float("inf"), help="a batch-256 repetition ends after this (>= 3 calls)")
    ap.add_argument("--min-b256-s", type=float, default=0.0, help="a batch-256 repetition goes on past --b256-calls until this has passed")
    a = ap.parse_args()
    try:
        dict(export=mode_export, train=mode_train, infer=mode_infer, int8=mode_int8)[a.mode](a)
    except Exception as e:  # reported to run.ts as the peer's failure
        import traceback
        traceback.print_exc()
        emit(dict(error=f"{type(e).__name__}: {e}"))
        sys.exit(1)


if __name__ == "__main__":
    main()
