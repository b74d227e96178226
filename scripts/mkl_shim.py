"""Makes MKL take its AVX-512 code on an AMD CPU, for PyTorch benchmarks run by hand.

MKL picks its AVX2 ("zen") SGEMM on AMD CPUs whatever MKL_ENABLE_INSTRUCTIONS says. Preloading a
library whose mkl_serv_intel_cpu_true() answers 1 makes it take the AVX-512 path instead (torch.mm
4096x2048 @ 2048x512 at 2 threads: about 170 -> 370 GFLOP/s on our 2-core Zen 5 machine).
"""
import os
import subprocess
import tempfile


def intel_cpu_shim():
    """Compiles the shim with the system C compiler (cc) into a temporary directory; returns its path."""
    folder = tempfile.mkdtemp(prefix="mkl-shim-")
    source, library = os.path.join(folder, "shim.c"), os.path.join(folder, "libmklshim.so")
    with open(source, "w") as f:
        f.write("int mkl_serv_intel_cpu_true(void) { return 1; }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", library, source], check=True)
    return library
